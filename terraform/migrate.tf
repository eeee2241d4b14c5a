# The migrate function: scripts/deploy.sh applies it first (-target=module.migrate), calls it,
# and only then applies the rest, so no function's new code serves against an old schema.
# It admits only the deployer (IAM invoker, no allUsers); its ingress is open because the
# deployer calls it from outside Google's network.
data "google_client_openid_userinfo" "deployer" {}

locals {
  deployer_member = endswith(data.google_client_openid_userinfo.deployer.email, ".gserviceaccount.com") ? "serviceAccount:${data.google_client_openid_userinfo.deployer.email}" : "user:${data.google_client_openid_userinfo.deployer.email}"
}

module "migrate" {
  source = "./modules/function"

  project_id            = var.project_id
  region                = var.region
  name                  = "migrate"
  name_prefix           = var.name_prefix
  description           = "Brings the directory database to the newest migration (called by the deploy)."
  runtime               = var.runtime
  build_service_account = local.build_service_account
  labels                = var.labels
  source_bucket         = module.bucket["sources"].name
  bundle = {
    path   = "${local.bundles_dir}/${local.bundles["migrate"].file}"
    sha256 = local.bundles["migrate"].sha256
  }

  environment     = local.common_env
  project_roles   = toset([])
  ingress         = "ALLOW_ALL"
  max_instances   = 1
  min_instances   = 0
  concurrency     = 1
  timeout_seconds = 600

  database = {
    instance_name   = module.database.instance_name
    connection_name = module.database.connection_name
    database_name   = module.database.database_name
  }

  invokers = { deployer = local.deployer_member }

  depends_on = [module.apis, google_project_iam_member.build, google_service_account_iam_member.deployer_uses_build]
}
