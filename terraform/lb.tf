locals {
  # Functions behind the one HTTPS origin. agent_step (Cloud Tasks) and precompute (Eventarc)
  # are internal and never routed.
  lb_backends = {
    for name, spec in local.functions : name => module.function[name].name
    if spec.public
  }

  # First match wins, by ascending priority. PUT and GET on the same dashboard path go to
  # different functions, so that rule matches the :method pseudo-header (see docs/deploy.md).
  lb_routes = [
    {
      priority    = 10
      description = "Save a dashboard or knowledge version (also restore, rename and duplicate: each is a save)"
      backend     = "save_dashboard"
      matches = [
        { path_template = "/v1/teams/*/dashboards/*", method = "PUT" },
        { path_template = "/v1/teams/*/dashboards/*", method = "PATCH" },
        { path_template = "/v1/teams/*/dashboards/*/versions/*/restore", method = "POST" },
        { path_template = "/v1/teams/*/dashboards/*/duplicate", method = "POST" },
        { path_template = "/v1/teams/*/knowledge", method = "PUT" },
        { path_template = "/v1/teams/*/knowledge/versions/*/restore", method = "POST" },
        { path_template = "/v1/teams/*/knowledge/starter", method = "POST" },
        { path_template = "/v1/teams/*/feedback/*/accept", method = "POST" },
      ]
    },
    {
      priority    = 20
      description = "Dashboard data, refresh and cache warming"
      backend     = "serve_data"
      matches = [
        { path_template = "/v1/teams/*/dashboards/*/data" },
        { path_template = "/v1/teams/*/dashboards/*/data/*" },
        { path_template = "/v1/teams/*/dashboards/*/data/*/sql" },
        { path_template = "/v1/teams/*/dashboards/*/parameters/*/values" },
        { path_template = "/v1/teams/*/dashboards/*/refresh" },
        { path_template = "/v1/teams/*/dashboards/*/warm" },
      ]
    },
    {
      priority    = 30
      description = "List, read, history and delete dashboards; read the team knowledge file"
      backend     = "dashboards"
      matches = [
        { path_template = "/v1/teams/*/dashboards" },
        { path_template = "/v1/teams/*/dashboards/**" },
        { path_template = "/v1/teams/*/knowledge" },
        { path_template = "/v1/teams/*/knowledge/**" },
      ]
    },
    {
      priority    = 40
      description = "Teams, members and connections"
      backend     = "onboard"
      matches = [
        { full_path = "/v1/teams" },
        { prefix = "/v1/teams/" },
      ]
    },
    {
      priority    = 50
      description = "Validate a connection"
      backend     = "validate"
      matches     = [{ path_template = "/v1/connections/*/validate" }]
    },
    {
      priority    = 60
      description = "Scan a connection and read its catalog"
      backend     = "scan"
      matches = [
        { path_template = "/v1/connections/*/scan" },
        { path_template = "/v1/connections/*/catalog" },
      ]
    },
    {
      priority    = 70
      description = "Chat sessions, messages and event streams"
      backend     = "chat_turn"
      matches     = [{ prefix = "/v1/chat/" }]
    },
  ]
}

module "lb" {
  source = "./modules/https_lb"

  project_id      = var.project_id
  region          = var.region
  name            = var.name_prefix
  domain          = var.domain
  backends        = local.lb_backends
  default_backend = "app"
  routes          = local.lb_routes
  security_policy = var.security_policy

  depends_on = [module.apis]
}
