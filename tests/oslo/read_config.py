"""Read options with the real oslo.config, as a service does, for side-by-side tests.

stdin: JSON {"files": [PATH...], "config_dir": PATH or null, "opts": [[GROUP, KEY, TYPE]...]}
(GROUP "DEFAULT" for the default group; TYPE "str" or "bool"). Every key the files set is
registered too (as a string option of its group), since oslo.config resolves `$name`
references through registered options only, and a service registers all of its own.
stdout: JSON {"GROUP.KEY": VALUE or null or {"error": TEXT}} or {"parse_error": TEXT}.
Run with Debian's /usr/bin/python3 (python3-oslo.config).
"""
import json
import os
import sys

from oslo_config import cfg
from oslo_config import iniparser


class Keys(iniparser.BaseParser):
    """Every (section, key) a file sets."""

    def __init__(self):
        self.section = None
        self.found = set()

    def new_section(self, section):
        self.section = section

    def assignment(self, key, value):
        if self.section is not None:
            self.found.add((self.section, key))


def main():
    spec = json.load(sys.stdin)
    files = list(spec["files"])
    if spec.get("config_dir"):
        d = spec["config_dir"]
        files += sorted(os.path.join(d, n) for n in os.listdir(d) if n.endswith(".conf"))
    wanted = {(g, k): t for g, k, t in spec["opts"]}
    keys = set()
    for path in files:
        if os.path.exists(path):
            parser = Keys()
            try:
                with open(path) as f:
                    parser.parse(f.readlines())
            except iniparser.ParseError:
                pass
            keys |= parser.found
    conf = cfg.ConfigOpts()
    registered = set()

    def register(group, key, kind):
        name = (None if group == "DEFAULT" else group.lower(), key)
        if name in registered:
            return
        registered.add(name)
        opt = cfg.BoolOpt(key) if kind == "bool" else cfg.StrOpt(key)
        conf.register_opt(opt, group=name[0])

    for (group, key), kind in wanted.items():
        register(group, key, kind)
    for group, key in keys:
        register(group, key, "str")
    args = []
    for path in spec["files"]:
        args += ["--config-file", path]
    if spec.get("config_dir"):
        args += ["--config-dir", spec["config_dir"]]
    try:
        conf(args, project="check", default_config_files=[], default_config_dirs=[])
    except cfg.ConfigFileParseError as e:
        print(json.dumps({"parse_error": str(e)}))
        return
    out = {}
    for group, key, _ in spec["opts"]:
        try:
            ns = conf if group == "DEFAULT" else getattr(conf, group.lower())
            value = getattr(ns, key)
        except Exception as e:  # a reference to nothing, a bad boolean...
            out[f"{group}.{key}"] = {"error": f"{type(e).__name__}: {e}"}
            continue
        out[f"{group}.{key}"] = value
    print(json.dumps(out))


main()
