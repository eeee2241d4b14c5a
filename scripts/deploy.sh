#!/usr/bin/env bash
# Deploy Bridge to Google Cloud: bundle the functions, terraform init/plan/apply, then migrate the
# directory database through the Cloud SQL connector. See docs/deploy.md.
#
#   make deploy                      # asks before applying
#   AUTO_APPROVE=1 make deploy       # no question (CI)
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

# ---- 2. infrastructure -----------------------------------------------------------------
step "terraform init"
tf init -input=false
step "terraform plan"
tf plan -input=false -out=tfplan
if [[ "${AUTO_APPROVE:-0}" != 1 ]]; then
  read -r -p "Apply this plan? [y/N] " answer
  [[ "$answer" =~ ^[Yy] ]] || die "not applied."
fi
step "terraform apply"
tf apply -input=false tfplan
rm -f "$TF_DIR/tfplan"

INSTANCE="$(tf output -raw cloudsql_connection_name)"
DATABASE="$(tf output -raw database_name)"
PROJECT="${INSTANCE%%:*}"
INSTANCE_NAME="${INSTANCE##*:}"

# ---- 3. database -----------------------------------------------------------------------
# PostgreSQL 15 lets only the database owner create tables in "public"; the built-in postgres
# user (password rotated on every run, never stored) lets the migrator create them once.
step "Letting $ACCOUNT create tables (as the built-in postgres user)"
PGPASSWORD_ONCE="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
gcloud sql users set-password postgres --project="$PROJECT" --instance="$INSTANCE_NAME" \
  --password="$PGPASSWORD_ONCE" --quiet >/dev/null
INSTANCE="$INSTANCE" DATABASE="$DATABASE" MIGRATOR="$ACCOUNT" PGPASSWORD_ONCE="$PGPASSWORD_ONCE" "$PY" - <<'PY' \
  || die "could not grant schema rights. Is $ACCOUNT listed in sql_migrators in terraform.tfvars?"
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

export BRIDGE_CLOUD=gcp BRIDGE_CLOUDSQL_INSTANCE="$INSTANCE" BRIDGE_DB_NAME="$DATABASE" \
  BRIDGE_DB_USER="$ACCOUNT" BRIDGE_DB_IAM_AUTH=true BRIDGE_GCP_PROJECT="$PROJECT"

step "alembic upgrade head (as $ACCOUNT, IAM auth through the Cloud SQL connector)"
(cd "$ROOT" && "$BIN/alembic" upgrade head) \
  || die "migrations failed. Is $ACCOUNT listed in sql_migrators in terraform.tfvars?"

# Every function's service account is a member of cloudsqliamserviceaccount.
step "Granting the functions read/write on the tables"
(cd "$ROOT" && "$PY" - <<'PY') || die "could not grant table rights to the functions."
from sqlalchemy import text

from shared.db.engine import make_engine
from shared.settings import get_settings

ROLE = "cloudsqliamserviceaccount"
with make_engine(get_settings()).begin() as conn:
    for statement in (
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {ROLE}",
    ):
        conn.execute(text(statement))
PY

step "Done"
echo "Origin:     $(tf output -raw url)"
echo "IP address: $(tf output -raw ip_address)  (point the domain's A record here; the certificate"
echo "            becomes active once DNS resolves, which can take up to an hour)"
