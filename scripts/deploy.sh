#!/usr/bin/env bash
# Deploy Bridge to Google Cloud: bundle the functions, keep Terraform state in a GCS bucket,
# apply the migrate function first and run it, then apply everything else, so no function's new
# code serves against an old schema. See docs/deploy.md.
#
#   make deploy                      # asks before applying
#   AUTO_APPROVE=1 make deploy       # no question (CI)
#   TF_STATE_BUCKET=name make deploy # state bucket (default <project_id>-bridge-tfstate)
#   TF_BACKEND=local make deploy     # keep state on this machine instead (not recommended)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TF_DIR="${TF_DIR:-$ROOT/terraform}"
BIN="${BIN:-$ROOT/.venv/bin}"
PY="$BIN/python"

die() { echo "deploy: error: $*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*"; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found. $2"; }
tf() { terraform -chdir="$TF_DIR" "$@"; }

# ---- preflight: tools and credentials, before anything changes ---------------------------
need terraform "Install Terraform >= 1.5: https://developer.hashicorp.com/terraform/install"
need gcloud "Install the Google Cloud CLI: https://cloud.google.com/sdk/docs/install"
need curl "Install curl (apt-get install curl)."
[[ -x "$PY" ]] || die "no Python at $PY. Run 'make deps' first."
[[ -f "$TF_DIR/terraform.tfvars" ]] \
  || die "terraform/terraform.tfvars is missing. Copy terraform/terraform.tfvars.example and fill it in."

ACCOUNT="$(gcloud config get-value account 2>/dev/null || true)"
[[ -n "$ACCOUNT" ]] || die "gcloud has no active account. Run 'gcloud auth login'."
gcloud auth application-default print-access-token >/dev/null 2>&1 \
  || die "no Application Default Credentials (Terraform and the Cloud SQL connector use them). Run 'gcloud auth application-default login'."
[[ "$ACCOUNT" =~ ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$ ]] || die "unexpected gcloud account '$ACCOUNT'."

# ---- 1. bundles ------------------------------------------------------------------------
step "Bundling functions into dist/"
"$PY" "$ROOT/scripts/bundle.py"

# ---- 2. state --------------------------------------------------------------------------
tfvar() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$TF_DIR/terraform.tfvars" | head -n1; }
PROJECT="$(tfvar project_id)"
REGION="$(tfvar region)"
REGION="${REGION:-europe-west1}"
[[ -n "$PROJECT" ]] || die "project_id is not set in terraform/terraform.tfvars."
if [[ "${TF_BACKEND:-gcs}" == local ]]; then
  printf 'terraform {\n  backend "local" {}\n}\n' >"$TF_DIR/backend_override.tf"
  step "terraform init (local state)"
  tf init -input=false -reconfigure
else
  rm -f "$TF_DIR/backend_override.tf"
  STATE_BUCKET="${TF_STATE_BUCKET:-$PROJECT-bridge-tfstate}"
  if ! gcloud storage buckets describe "gs://$STATE_BUCKET" --project="$PROJECT" >/dev/null 2>&1; then
    step "Creating the state bucket gs://$STATE_BUCKET (versioned, private)"
    gcloud storage buckets create "gs://$STATE_BUCKET" --project="$PROJECT" --location="$REGION" \
      --uniform-bucket-level-access --public-access-prevention
  fi
  gcloud storage buckets update "gs://$STATE_BUCKET" --versioning >/dev/null
  step "terraform init (state in gs://$STATE_BUCKET)"
  tf init -input=false -reconfigure -backend-config="bucket=$STATE_BUCKET" -backend-config="prefix=bridge"
fi

# ---- 3. plan ---------------------------------------------------------------------------
step "terraform plan"
tf plan -input=false -out=tfplan
if [[ "${AUTO_APPROVE:-0}" != 1 ]]; then
  read -r -p "Apply this plan? [y/N] " answer
  [[ "$answer" =~ ^[Yy] ]] || die "not applied."
fi
rm -f "$TF_DIR/tfplan"

# ---- 4. the database and the migrate function first ------------------------------------
step "terraform apply: database and migrate function"
tf apply -input=false -auto-approve -target=module.migrate

INSTANCE="$(tf output -raw cloudsql_connection_name)"
DATABASE="$(tf output -raw database_name)"
INSTANCE_NAME="${INSTANCE##*:}"
MIGRATOR="$(tf output -raw migrate_db_user)"

# PostgreSQL 15 lets only the database owner create tables in "public"; the built-in postgres
# user (password rotated on every run, never stored) lets the migrate function create them.
step "Letting the migrate function create tables (as the built-in postgres user)"
PGPASSWORD_ONCE="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
gcloud sql users set-password postgres --project="$PROJECT" --instance="$INSTANCE_NAME" \
  --password="$PGPASSWORD_ONCE" --quiet >/dev/null
INSTANCE="$INSTANCE" DATABASE="$DATABASE" MIGRATOR="$MIGRATOR" PGPASSWORD_ONCE="$PGPASSWORD_ONCE" "$PY" - <<'PY' \
  || die "could not grant schema rights to $MIGRATOR."
import os

from google.cloud.sql.connector import Connector

with Connector() as connector:
    conn = connector.connect(
        os.environ["INSTANCE"], "pg8000", user="postgres",
        password=os.environ["PGPASSWORD_ONCE"], db=os.environ["DATABASE"],
    )
    cur = conn.cursor()
    cur.execute(f'GRANT ALL ON SCHEMA public TO "{os.environ["MIGRATOR"]}"')
    cur.execute("GRANT USAGE ON SCHEMA public TO cloudsqliamserviceaccount")
    conn.commit()
    conn.close()
PY
unset PGPASSWORD_ONCE

step "Running migrations (the migrate function, before any new code serves)"
MIGRATE_URL="$(tf output -raw migrate_uri)"
curl -fsS --retry 3 --retry-all-errors --max-time 620 -X POST \
  -H "Authorization: Bearer $(gcloud auth print-identity-token)" "$MIGRATE_URL" \
  || die "migrations failed; nothing else was deployed. See the migrate function's logs."
echo

# ---- 5. everything else ----------------------------------------------------------------
step "terraform apply: everything else"
tf apply -input=false -auto-approve

if [[ "$(tf output -raw public_access)" == no-invoker-iam-check ]]; then
  step "Turning off Cloud Run's invoker check on the public functions (no allUsers binding)"
  for service in $(tf output -json public_services | "$PY" -c 'import json, sys; print(" ".join(json.load(sys.stdin)))'); do
    gcloud run services update "$service" --project="$PROJECT" --region="$REGION" --no-invoker-iam-check --quiet
  done
fi

step "Done"
echo "Origin:     $(tf output -raw url)"
echo "IP address: $(tf output -raw ip_address)  (point the domain's A record here; the certificate"
echo "            becomes active once DNS resolves, which can take up to an hour)"
echo "Sign-in:    create users with a verified email (docs/deploy.md, 'Users')."
