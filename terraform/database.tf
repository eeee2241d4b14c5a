module "database" {
  source = "./modules/cloudsql"

  project_id          = var.project_id
  region              = var.region
  name                = "${var.name_prefix}-pg"
  tier                = var.sql_tier
  availability_type   = var.sql_availability_type
  max_connections     = var.sql_max_connections
  database_name       = "bridge"
  iam_users           = toset(var.sql_migrators)
  deletion_protection = var.sql_deletion_protection
  labels              = var.labels

  depends_on = [module.apis]
}
