#!/usr/bin/env bash
# Creates a fresh user on an algoplane server through its GraphQL API and prints the export lines
# the harness needs. The user's default-key (manageAlgorithms on) is the standard key ALGO_KEY.
#
#   ALGO_BASE=http://127.0.0.1:4111 ALGO_ADMIN_KEY=adm… ./setup.sh [username]
#   eval "$(ALGO_BASE=… ALGO_ADMIN_KEY=… ./setup.sh)"
set -euo pipefail
: "${ALGO_BASE:?set ALGO_BASE, e.g. http://127.0.0.1:4111}"
: "${ALGO_ADMIN_KEY:?set ALGO_ADMIN_KEY to the admin key the server printed on first start}"
user="${1:-${ALGO_USER:-harness$(date +%s)}}"

query='mutation($input: CreateUserInput!) { createUser(input: $input) { user { username } secret userErrors { field message code } } }'
body=$(python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1], "variables": {"input": {"username": sys.argv[2], "email": sys.argv[2] + "@example.com"}}}))' "$query" "$user")
answer=$(curl -sS -X POST "$ALGO_BASE/graphql" -H 'Content-Type: application/json' \
  -H "Authorization: Simple $ALGO_ADMIN_KEY" --data "$body")

python3 - "$answer" "$user" "$ALGO_BASE" "$ALGO_ADMIN_KEY" <<'PY'
import json, shlex, sys
answer, user, base, admin = sys.argv[1:]
try:
    doc = json.loads(answer)
except ValueError:
    sys.exit("setup.sh: not a JSON answer: " + answer[:300])
payload = (doc.get("data") or {}).get("createUser")
if not payload or doc.get("errors") or payload.get("userErrors") or not payload.get("secret"):
    sys.exit("setup.sh: createUser failed: " + json.dumps(doc)[:500])
for name, value in (("ALGO_BASE", base), ("ALGO_USER", user),
                    ("ALGO_KEY", payload["secret"]), ("ALGO_ADMIN_KEY", admin)):
    print("export %s=%s" % (name, shlex.quote(value)))
PY
