terraform {
  required_version = ">= 1.5"

  # State lives in a GCS bucket; scripts/deploy.sh creates it (versioned) and passes its name.
  backend "gcs" {}
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 7.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.7, < 4.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
