# Identity Platform: email + password sign-in for the web app. Users need a verified email (the
# server refuses others): the sign-in page emails unverified accounts a verification link, and
# docs/deploy.md shows how to create users already verified.
resource "google_identity_platform_config" "this" {
  project                    = var.project_id
  authorized_domains         = [var.domain]
  autodelete_anonymous_users = true

  sign_in {
    allow_duplicate_emails = false

    email {
      enabled           = true
      password_required = true
    }
  }

  depends_on = [module.apis]
}

# The browser key of the sign-in page: only the sign-in and token-refresh APIs, only from the domain.
resource "google_apikeys_key" "identity" {
  project      = var.project_id
  name         = "${var.name_prefix}-identity-web${var.recreate_suffix}"
  display_name = "Bridge sign-in page (Identity Platform)"

  restrictions {
    api_targets {
      service = "identitytoolkit.googleapis.com"
    }
    api_targets {
      service = "securetoken.googleapis.com"
    }
    browser_key_restrictions {
      allowed_referrers = ["https://${var.domain}/*"]
    }
  }

  depends_on = [module.apis]
}
