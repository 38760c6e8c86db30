#!/usr/bin/env python3
"""Writes estally's own eslogger fixture lines (one event per file).

The shapes follow the documented eslogger output (JSON Lines modelled after
es_message_t; audit tokens as objects up to message version 9 and as arrays
of the eight val[] integers from version 10). Every value here is invented.
Key order is shuffled per line, as in real output. Run from this directory.
"""
import json, random

random.seed(20261204)

def esc(s):
    # eslogger escapes every '/' as '\/'.
    return json.dumps(s, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")

def shuffled(d):
    items = list(d.items())
    random.shuffle(items)
    return items

def enc(v):
    if isinstance(v, dict):
        return "{" + ",".join(esc(k) + ":" + enc(x) for k, x in shuffled(v)) + "}"
    if isinstance(v, list):
        return "[" + ",".join(enc(x) for x in v) + "]"
    if isinstance(v, str):
        return esc(v)
    return json.dumps(v)

def stat(ino, size):
    t = "2026-12-04T20:11:05.123456789Z"
    return {"st_dev": 16777232, "st_mode": 33188, "st_nlink": 1, "st_ino": ino, "st_uid": 501,
            "st_gid": 20, "st_rdev": 0, "st_size": size, "st_blocks": 8, "st_blksize": 4096,
            "st_flags": 0, "st_gen": 0, "st_atimespec": t, "st_mtimespec": t, "st_ctimespec": t,
            "st_birthtimespec": t}

def file(path, ino=1152921500312525701, size=4096, truncated=False):
    return {"path": path, "path_truncated": truncated, "stat": stat(ino, size)}

def token(version, pid, auid=501, pidversion=23817):
    vals = [auid, 501, 20, 501, 20, pid, 100007, pidversion]
    if version >= 10:
        return vals
    return dict(zip(["auid", "euid", "egid", "ruid", "rgid", "pid", "asid", "pidversion"], vals))

def process(version, pid, exe, signing_id, team_id):
    p = {"audit_token": token(version, pid),
         "parent_audit_token": token(version, 1, auid=4294967295, pidversion=1029),
         "responsible_audit_token": token(version, pid),
         "ppid": 1, "original_ppid": 1, "group_id": pid, "session_id": pid,
         "codesigning_flags": 570522385, "is_platform_binary": False, "is_es_client": False,
         "cdhash": "3C1F0A9D2E7B44C1A07E55D3B9F6C2E18A4D7B10", "signing_id": signing_id,
         "team_id": team_id, "executable": file(exe, ino=12884901891, size=912384), "tty": None,
         "start_time": "2026-12-04T20:10:59.402113Z"}
    if version >= 10:
        p["cs_validation_category"] = 3
    return p

def message(version, event_type, seq, gseq, pid, exe, sid, tid, name, body):
    return {"schema_version": 1, "version": version, "time": "2026-12-04T20:11:05.811587464Z",
            "mach_time": 1844674407370955, "seq_num": seq, "global_seq_num": gseq,
            "event_type": event_type, "action_type": 1,
            "action": {"result": {"result_type": 0, "result": {"auth": 0}}},
            "thread": {"thread_id": 9223372036854775809}, "process": process(version, pid, exe, sid, tid),
            "event": {name: body}}

EDITOR = "/Applications/Text Editor.app/Contents/MacOS/Text Editor"
CASES = {
    "write": (33, "write", {"target": file("/Users/ada/Documents/notes.txt")}),
    "close_modified": (12, "close", {"modified": True, "target": file("/Users/ada/Documents/notes.txt"),
                                     "was_mapped_writable": False}),
    "close_unmodified": (12, "close", {"modified": False, "target": file("/Users/ada/Documents/notes.txt"),
                                       "was_mapped_writable": True}),
    "create_existing": (13, "create", {"destination_type": 0,
                                       "destination": {"existing_file": file("/Users/ada/Documents/new.txt")}}),
    "create_new_path": (13, "create", {"destination_type": 1,
                                       "destination": {"new_path": {"dir": file("/Users/ada/Documents"),
                                                                    "filename": "draft \u00e9t\u00e9.txt",
                                                                    "mode": 420}}}),
    "rename_existing": (25, "rename", {"source": file("/Users/ada/Documents/notes.txt"), "destination_type": 0,
                                       "destination": {"existing_file": file("/Users/ada/Documents/old.txt")}}),
    "rename_new_path": (25, "rename", {"source": file("/Users/ada/Documents/notes.txt.sb-1a2b"),
                                       "destination_type": 1,
                                       "destination": {"new_path": {"dir": file("/Users/ada/Documents/"),
                                                                    "filename": "notes.txt"}}}),
    "unlink": (32, "unlink", {"target": file("/private/var/folders/zz/T/tmp.Xy12"),
                              "parent_dir": file("/private/var/folders/zz/T")}),
    "truncate": (41, "truncate", {"target": file("/Users/ada/Library/Logs/app.log")}),
    "exec": (9, "exec", {"target": process(9, 777, "/bin/ls", "com.apple.ls", None), "args": ["ls", "-l"],
                         "script": None, "cwd": file("/Users/ada")}),
}

for version in (9, 10):
    for i, (case, (etype, name, body)) in enumerate(sorted(CASES.items())):
        if case == "exec" and version == 10:
            body = dict(body, target=process(10, 777, "/bin/ls", "com.apple.ls", None))
        msg = message(version, etype, 40 + i, 1000 + i, 4242 + i, EDITOR, "com.example.TextEditor",
                      None if case == "truncate" else "ABCDE12345", name, body)
        with open(f"v{version}/{case}.jsonl", "w") as f:
            f.write(enc(msg) + "\n")
