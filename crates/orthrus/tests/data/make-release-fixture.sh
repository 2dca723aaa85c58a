#!/usr/bin/env bash
# Makes release-0024.db, the "previous release" database the upgrade test
# migrates: run it with the binary of the release to keep (it was made with
# the build of commit 5bee72a, migrations 0001-0024):
#
#   crates/orthrus/tests/data/make-release-fixture.sh path/to/old/orthrus
#
# Everything goes to loopback; the master key is the tests' fixed key
# (support::master_key), so the test can open the sealed values.
set -euo pipefail
BIN=${1:?the old orthrus binary}
OUT=$(cd "$(dirname "$0")" && pwd)/release-0024.db
KEY=KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
export ORTHRUS_MASTER_KEY=$KEY ORTHRUS_ARGON_MEMORY_KIB=8192 ORTHRUS_AUTOMATION_WORKERS=0
export ORTHRUS_AUTOMATION_ALLOWED_PRIVATE_HOSTS=127.0.0.1
echo 'owner-password-1' | "$BIN" admin create-user --data-dir "$DIR/d" --email owner@acme.test --role owner
"$BIN" serve --data-dir "$DIR/d" --http 127.0.0.1:0 --smtp 127.0.0.1:0 >"$DIR/out" 2>"$DIR/err" &
PID=$!
for _ in $(seq 100); do grep -q 'Orthrus is running at' "$DIR/out" && break; sleep 0.1; done
URL=$(sed -n 's/^Orthrus is running at //p' "$DIR/out")
SMTP=$(sed -n 's/^Managed inbox mail is received on smtp:\/\/\([^ ]*\).*/\1/p' "$DIR/out")
j() { curl -sf -H 'content-type: application/json' "$@"; }
T=$(j -X POST "$URL/api/v1/auth/login" -d '{"email":"owner@acme.test","password":"owner-password-1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
A=(-H "authorization: Bearer $T")
j "${A[@]}" -X POST "$URL/api/v1/auth/step-up" -d '{"password":"owner-password-1"}' >/dev/null
ID=$(j "${A[@]}" -X POST "$URL/api/v1/accounts" -d '{"app":"instagram","label":"Brand IG","username":"brand","login_url":"http://127.0.0.1:9/login","password":"fixture-password-1","notes":"kept since 0024"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
j "${A[@]}" -X PUT "$URL/api/v1/accounts/$ID/totp" -d '{"secret":"JBSWY3DPEHPK3PXP"}' >/dev/null
j "${A[@]}" -X POST "$URL/api/v1/accounts/$ID/totp/confirm" >/dev/null
j "${A[@]}" -X PUT "$URL/api/v1/accounts/$ID/backup-codes" -d '{"codes":"1111-2222\n3333-4444"}' >/dev/null
ADDR=$(j "${A[@]}" -X POST "$URL/api/v1/accounts/$ID/managed-email" | python3 -c 'import json,sys; print(json.load(sys.stdin)["address"])')
python3 - "$SMTP" "$ADDR" <<'PY'
import smtplib, sys
host, port = sys.argv[1].rsplit(":", 1)
s = smtplib.SMTP(host, int(port))
s.sendmail("security@mail.instagram.com", [sys.argv[2]],
    "From: Instagram <security@mail.instagram.com>\r\nSubject: 481 920 is your code\r\n"
    "Message-ID: <fixture-1@mail.instagram.com>\r\n\r\nUse 481920 to confirm it's you.\r\n")
s.quit()
PY
j "${A[@]}" -X POST "$URL/api/v1/me/tokens" -d '{"name":"fixture"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$DIR/api-token"
kill -TERM $PID; wait $PID || true
rm -f "$OUT"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("VACUUM INTO ?", (sys.argv[2],))' "$DIR/d/orthrus.db" "$OUT"
echo "session token: $T"
echo "api token: $(cat "$DIR/api-token")"
echo "account: $ID"
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)"
