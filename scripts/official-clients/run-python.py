#!/usr/bin/env python3
"""Drives Algorithmia's management sequence with the official Python client (algorithmia-python
v2.0.5, unchanged) against ALGO_BASE, and prints PASS/FAIL per step.

  ALGO_BASE=http://127.0.0.1:4111 ALGO_USER=… ALGO_KEY=sim… ALGO_ADMIN_KEY=adm… \
  PYTHONPATH=python-stubs:algorithmia-python python3 run-python.py

The checks are the ones the client's own tests make (Test/regular/algo_test.py, client_test.py)
plus what REST-CONTRACT.md promises for the same calls. ALGO_TRACE=0 hides the wire trace.
"""
import json
import os
import re
import sys
import time
import traceback

import Algorithmia
from Algorithmia.errors import AlgorithmException

BASE = os.environ.get("ALGO_BASE", "").rstrip("/")
USER = os.environ.get("ALGO_USER", "")
KEY = os.environ.get("ALGO_KEY", "")
ADMIN_KEY = os.environ.get("ALGO_ADMIN_KEY", "")
TRACE = os.environ.get("ALGO_TRACE", "1") != "0"

if not (BASE and USER and KEY and ADMIN_KEY):
    sys.exit("set ALGO_BASE, ALGO_USER, ALGO_KEY, ALGO_ADMIN_KEY (see README.md / setup.sh)")

HEX40 = re.compile(r"^[0-9a-f]{40}$")
stamp = str(int(time.time()))
ALGO = "pyharness_" + stamp
ORG = "PyHarnessOrg" + stamp


def mask(value):
    # Never print a secret: scheme plus the key's three-letter kind prefix.
    if not value:
        return value
    parts = value.split(" ", 1)
    secret = parts[-1]
    shown = secret[:3] + "…(%d chars)" % len(secret)
    return (parts[0] + " " + shown) if len(parts) == 2 else shown


def short(data, limit=400):
    if data is None:
        return ""
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    return data if len(data) <= limit else data[:limit] + "…"


def trace_hook(response, *args, **kwargs):
    req = response.request
    headers = {k: (mask(v) if k.lower() == "authorization" else v) for k, v in req.headers.items()
               if k.lower() in ("authorization", "content-type", "accept", "content-length")}
    print("    > %s %s %s body=%s" % (req.method, req.path_url, json.dumps(headers), short(req.body)))
    print("    < %d %s ct=%s body=%s" % (response.status_code, response.reason,
                                          response.headers.get("Content-Type"), short(response.content)))


def make_client(key):
    client = Algorithmia.client(api_key=key, api_address=BASE)
    if TRACE:
        # requests' public hook API on the client's own session: observes, changes nothing.
        client.requestSession.hooks["response"].append(trace_hook)
    return client


std = make_client(KEY)
admin = make_client(ADMIN_KEY)
results = []
state = {}


class Check(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise Check(message)


def as_obj(answer):
    expect(isinstance(answer, dict), "answer is not a JSON object: " + describe(answer))
    return answer


def describe(answer):
    # The helpers return either parsed JSON or a requests.Response (empty body); say which.
    if hasattr(answer, "status_code"):
        return "HTTP %d body %r" % (answer.status_code, answer.content[:200])
    return "JSON " + short(json.dumps(answer), 200)


def step(name):
    def run(fn):
        print("\n== %s" % name)
        try:
            detail = fn()
            results.append((name, True, detail or ""))
            print("   PASS %s" % (detail or ""))
        except Check as e:
            results.append((name, False, str(e)))
            print("   FAIL %s" % e)
        except Exception as e:  # the client raised: report it as the step's failure
            text = "%s: %s" % (type(e).__name__, short(str(e), 300))
            results.append((name, False, text))
            print("   FAIL client raised %s" % text)
            if os.environ.get("ALGO_TRACEBACK"):
                traceback.print_exc()
        return fn
    return run


algo = std.algo(USER + "/" + ALGO)


@step("1 create algorithm  algo.create(details, settings, version_info)")
def _():
    r = as_obj(algo.create(
        details={"label": "Python harness", "summary": "Example Summary", "tagline": "Example Tagline"},
        settings={"source_visibility": "closed", "license": "apl", "network_access": "isolated",
                  "pipeline_enabled": False, "language": "python3-1", "environment": "cpu"},
        version_info={"sample_input": "hello"}))
    expect(r.get("name") == ALGO, "name %r != %r" % (r.get("name"), ALGO))
    expect(isinstance(r.get("id"), str) and len(r["id"]) == 36, "id is not a 36-char uuid: %r" % r.get("id"))
    state["id"] = r["id"]
    return "id=%s" % r["id"]


@step("2 get algorithm  algo.exists() + algo.get_algorithm_id()")
def _():
    expect(algo.exists() is True, "exists() is not True")
    algo_id = algo.get_algorithm_id()
    expect(algo_id == state.get("id"), "get_algorithm_id() %r != created id %r" % (algo_id, state.get("id")))
    return "exists, id matches"


@step("3 compile  algo.compile()")
def _():
    r = as_obj(algo.compile())
    expect(r.get("name") == ALGO, "name %r != %r" % (r.get("name"), ALGO))
    git_hash = (r.get("version_info") or {}).get("git_hash")
    expect(isinstance(git_hash, str) and HEX40.match(git_hash), "version_info.git_hash not 40 hex: %r" % git_hash)
    state["compile_hash"] = git_hash
    return "git_hash=%s" % git_hash


@step("4 publish 0.1.0  algo(user/name/hash).publish(version_type=minor)")
def _():
    # As the client's test does: publish through the algo ref that carries the compiled hash
    # (the client drops the hash from the URL).
    ref = std.algo(USER + "/" + ALGO + "/" + (state.get("compile_hash") or "nohash"))
    r = as_obj(ref.publish(details={"label": "testing123"},
                    settings={"algorithm_callability": "private"},
                    version_info={"release_notes": "created programmatically", "sample_input": "John",
                                  "version_type": "minor"}))
    vi = r.get("version_info") or {}
    expect(vi.get("semantic_version") == "0.1.0", "semantic_version %r != '0.1.0'" % vi.get("semantic_version"))
    expect(vi.get("git_hash") == state.get("compile_hash"),
           "git_hash %r is not the compiled hash %r" % (vi.get("git_hash"), state.get("compile_hash")))
    state["hash_010"] = vi.get("git_hash")
    return "0.1.0 git_hash=%s" % vi.get("git_hash")


@step("5 publish 0.1.1  algo.publish(version_type=revision)")
def _():
    r = as_obj(algo.publish(settings={"algorithm_callability": "private"},
                     version_info={"release_notes": "second", "version_type": "revision"}))
    vi = r.get("version_info") or {}
    expect(vi.get("semantic_version") == "0.1.1", "semantic_version %r != '0.1.1'" % vi.get("semantic_version"))
    expect(isinstance(vi.get("git_hash"), str) and HEX40.match(vi["git_hash"]), "git_hash not 40 hex")
    expect(vi.get("git_hash") != state.get("hash_010"), "0.1.1 reuses 0.1.0's git_hash")
    return "0.1.1 git_hash=%s" % vi.get("git_hash")


@step("6 list versions  algo.versions()")
def _():
    r = as_obj(algo.versions())
    expect("results" in r, "no 'results' in answer")
    sems = [(v.get("version_info") or {}).get("semantic_version") for v in r["results"]]
    expect(sems == ["0.1.1", "0.1.0"], "semantic versions newest first %r != ['0.1.1', '0.1.0']" % sems)
    expect(all(v.get("resource_type") == "algorithm" for v in r["results"]), "resource_type != 'algorithm'")
    expect(r.get("marker") is None and r.get("next_link") is None, "marker/next_link not null on the last page")
    return "results=%s" % sems


@step("7 get version by hash  algo.info(git_hash of 0.1.0)")
def _():
    expect(state.get("hash_010"), "no 0.1.0 hash from step 4")
    r = as_obj(algo.info(state["hash_010"]))
    vi = r.get("version_info") or {}
    expect(vi.get("semantic_version") == "0.1.0", "semantic_version %r != '0.1.0'" % vi.get("semantic_version"))
    expect(vi.get("git_hash") == state["hash_010"], "git_hash %r != requested" % vi.get("git_hash"))
    return "0.1.0"


@step("8 get org types  admin.get_org_types()")
def _():
    r = admin.get_org_types()
    expect(isinstance(r, list), "answer is not a bare array: " + describe(r))
    names = sorted(t.get("name") for t in r)
    expect({"basic", "legacy", "pro"} <= set(names), "type names %r lack basic/legacy/pro" % names)
    state["types"] = {t["name"]: t["id"] for t in r}
    return "names=%s" % names


@step("8b get org types with the standard key  std.get_org_types()")
def _():
    r = std.get_org_types()
    expect(isinstance(r, list) and r, "answer is not a non-empty array: " + describe(r))
    return "%d types" % len(r)


@step("9 create org  admin.create_org({..., type_id: 'basic'})")
def _():
    r = admin.create_org({"org_name": ORG, "org_label": "some label", "org_contact_name": "Some owner",
                          "org_email": ORG + "@algo.com", "org_url": "https://algorithmia.com",
                          "type_id": "basic"})
    expect(as_obj(r).get("org_name") == ORG, "org_name %r != %r" % (r.get("org_name"), ORG))
    return "org_name=%s" % ORG


@step("10 get org  admin.get_org(org)")
def _():
    r = as_obj(admin.get_org(ORG))
    expect(r.get("org_name") == ORG, "org_name %r != %r (answer %s)" % (r.get("org_name"), ORG, describe(r)))
    expect(r.get("type_id") == (state.get("types") or {}).get("basic"), "type_id %r is not basic's uuid" % r.get("type_id"))
    return "type_id=basic's uuid"


@step("11 edit org  admin.edit_org(org, {..., org_email: new}) then get_org")
def _():
    new_email = "changed" + stamp + "@algo.com"
    r = admin.edit_org(ORG, {"org_name": ORG, "org_label": "some label", "org_contact_name": "Some owner",
                             "org_email": new_email, "org_url": "https://algorithmia.com",
                             "type_id": "basic", "resource_type": "organization"})
    expect(hasattr(r, "status_code"), "answer has a JSON body (client test expects 204): " + describe(r))
    expect(r.status_code == 204, "status %d != 204" % r.status_code)
    after = as_obj(admin.get_org(ORG))
    expect(after.get("org_email") == new_email, "org_email after edit %r != %r" % (after.get("org_email"), new_email))
    return "204, org_email changed"


@step("12 add member  admin.invite_to_org(org, user)")
def _():
    r = admin.invite_to_org(ORG, USER)
    # putHelper returns the raw Response when the body is empty, whatever the status.
    expect(hasattr(r, "status_code") and r.status_code in (200, 201), "want 201/200 empty, got " + describe(r))
    again = admin.invite_to_org(ORG, USER)
    expect(hasattr(again, "status_code") and again.status_code == 200,
           "second invite: want 200 (already a member), got " + describe(again))
    return "first %d, again %d" % (r.status_code, again.status_code)


@step("13 delete algorithm  std.deleteHelper(url)  [client has no delete method]")
def _():
    r = std.deleteHelper("/v1/algorithms/" + USER + "/" + ALGO)
    # deleteHelper returns the Response only when the reason phrase is "No Content", else parses JSON.
    expect(hasattr(r, "status_code") and r.status_code == 204 and r.content == b"", "want 204 empty, got " + describe(r))
    return "204"


@step("14 get deleted algorithm  algo.exists() + raw getHelper")
def _():
    expect(algo.exists() is False, "exists() is not False")
    raw = std.getHelper("/v1/algorithms/" + USER + "/" + ALGO)
    expect(raw.status_code == 404, "status %d != 404" % raw.status_code)
    expect(raw.text == '{"error":"No such algorithm"}', "body %r != '{\"error\":\"No such algorithm\"}'" % raw.text[:200])
    return "404 {\"error\":\"No such algorithm\"}"


print("\n== summary (python client, %s, algo %s/%s, org %s)" % (BASE, USER, ALGO, ORG))
for name, ok, detail in results:
    print("%s  %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else "  -- " + detail))
failed = sum(1 for _, ok, _ in results if not ok)
print("%d/%d steps passed" % (len(results) - failed, len(results)))
sys.exit(1 if failed else 0)
