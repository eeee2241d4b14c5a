module "tasks_queue" {
  source = "./modules/tasks_queue"

  project_id                = var.project_id
  location                  = var.region
  name                      = "${var.name_prefix}-agent-steps${var.recreate_suffix}"
  max_attempts              = var.tasks_max_attempts
  min_backoff               = var.tasks_min_backoff
  max_backoff               = var.tasks_max_backoff
  max_dispatches_per_second = var.tasks_max_dispatches_per_second
  # Never dispatch more steps at once than agent_step can serve (instances x concurrency),
  # or the surplus is refused and burns retry attempts.
  max_concurrent_dispatches = min(
    var.tasks_max_concurrent_dispatches,
    local.sizing["agent_step"].max_instances * local.sizing["agent_step"].concurrency,
  )

  # chat_turn enqueues step 0; agent_step enqueues the next step.
  iam = {
    for fn in ["chat_turn", "agent_step"] : fn => {
      role   = "roles/cloudtasks.enqueuer"
      member = module.function[fn].service_account_member
    }
  }

  depends_on = [module.apis]
}

# The identity in the tasks' OIDC tokens: it may invoke agent_step and nothing else.
resource "google_service_account" "tasks_invoker" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-tasks-invoker"
  display_name = "Bridge Cloud Tasks OIDC identity (invokes agent_step)"
}

# Enqueuers must be able to act as the OIDC identity they put on a task.
resource "google_service_account_iam_member" "tasks_invoker_user" {
  for_each = toset(["chat_turn", "agent_step"])

  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = module.function[each.key].service_account_member
}
