#!/usr/bin/env python3
"""A small Docker registry token server (the Bearer flow of distribution's `auth.token`).

Started by `scripts/registry up --token USER:PASS`; test support, not a product. It answers
`GET /token?service=S&scope=repository:NAME:ACTIONS...` the way a registry's token service
does (distribution's token specification):

* with HTTP Basic credentials equal to USER:PASS, every requested scope is granted;
* without credentials, a token with no access is issued (the registry then refuses the
  request), as public token services do for anonymous clients;
* with other credentials, 401.

`POST /token` (the OAuth2 password grant of the same specification, which oras-go and so
Helm try first) follows the same rules, with the credentials in the form body.

Tokens are JWTs signed RS256 by `openssl dgst` with the key whose self-signed certificate is
the registry's `rootcertbundle`; the certificate travels in the `x5c` header.

Usage: registry-token-server.py PORT USER:PASS KEY.pem CERT.pem ISSUER SERVICE LOGFILE
"""

import base64
import datetime
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

PORT, CREDS, KEY, CERT, ISSUER, SERVICE, LOG = sys.argv[1:8]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der() -> bytes:
    return subprocess.run(
        ["openssl", "x509", "-in", CERT, "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout


X5C = base64.b64encode(cert_der()).decode()


def sign(payload: bytes) -> bytes:
    return subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", KEY],
        input=payload,
        check=True,
        capture_output=True,
    ).stdout


def token_for(subject: str, access: list) -> str:
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    claims = {
        "iss": ISSUER,
        "sub": subject,
        "aud": SERVICE,
        "exp": now + 300,
        "nbf": now - 10,
        "iat": now,
        "jti": b64url(os.urandom(12)),
        "access": access,
    }
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    return signing_input + "." + b64url(sign(signing_input.encode()))


def parse_scope(scope: str):
    # repository:name/with/slashes:pull,push  (the name may not contain ':' here)
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if not kind or not name:
        return None
    return {"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]}


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        with open(LOG, "a") as f:
            f.write("token: " + (fmt % args) + "\n")

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.send_error(404)
            return
        query = urllib.parse.parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        given = None
        if auth.startswith("Basic "):
            try:
                given = base64.b64decode(auth[6:]).decode()
            except ValueError:
                given = ""
        self.answer(query, given)

    def do_POST(self):
        if urllib.parse.urlsplit(self.path).path != "/token":
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        given = None
        if form.get("grant_type", [""])[0] == "password":
            given = form.get("username", [""])[0] + ":" + form.get("password", [""])[0]
        self.answer(form, given)

    def answer(self, query, given):
        if query.get("service", [""])[0] != SERVICE:
            self.send_error(400, "unknown service")
            return
        subject = ""
        if given is not None:
            if given != CREDS:
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"details":"invalid username or password"}')
                return
            subject = given.split(":", 1)[0]
        access = []
        if subject:
            for scope in query.get("scope", []):
                for one in scope.split(" "):
                    parsed = parse_scope(one)
                    if parsed:
                        access.append(parsed)
        token = token_for(subject, access)
        body = json.dumps(
            {
                "token": token,
                "access_token": token,
                "expires_in": 300,
                "issued_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
