"""The layer checker itself: it must catch a cycle, a forbidden edge and clap outside the
CLI on small made-up trees, must not be fooled by comments, strings or `super::` paths,
and must pass on this repository's src/."""

import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import layers  # noqa: E402


class Tree:
    """A throwaway src/ tree: {relative path: Rust source}."""

    def __init__(self, files):
        self._dir = tempfile.TemporaryDirectory(prefix="layers-")
        self.src = Path(self._dir.name) / "src"
        for name, text in files.items():
            path = self.src / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def violations(self):
        return layers.violations(self.src)[0]

    def edges(self):
        return set(layers.collect(self.src)[0])

    def close(self):
        self._dir.cleanup()


def make(test, files):
    tree = Tree(files)
    test.addCleanup(tree.close)
    return tree


class LayersTest(unittest.TestCase):
    def test_a_cycle_between_top_level_modules_fails(self):
        tree = make(
            self,
            {
                "lib.rs": "pub mod a;\npub mod b;\npub mod c;\n",
                "a.rs": "use crate::b::thing;\n",
                "b/mod.rs": "pub mod inner;\n",
                "b/inner.rs": "pub fn f() { crate::c::g() }\n",
                "c.rs": "use crate::{a, util};\n",
            },
        )
        found = tree.violations()
        self.assertEqual(len(found), 1, found)
        self.assertTrue(found[0].startswith("import cycle a -> b -> c -> a"), found)
        self.assertIn("src/b/inner.rs:1", found[0])

    def test_forbidden_edges_fail_one_line_each(self):
        tree = make(
            self,
            {
                "lib.rs": "",
                "proto/mod.rs": "pub mod x;\n",
                "proto/x.rs": "use crate::verdict::Checked;\nfn f() -> crate::checks::T { todo!() }\n",
                "checks.rs": "use crate::services::table;\n",
                "services.rs": "",
                "verdict.rs": "",
                "net/mod.rs": "use crate::proto::x;\n",
            },
        )
        found = tree.violations()
        self.assertEqual(len(found), 4, found)
        self.assertTrue(
            any("src/proto/x.rs:2: forbidden edge proto -> checks" in f for f in found),
            found,
        )
        self.assertTrue(
            any(
                "src/proto/x.rs:1: forbidden edge proto -> verdict" in f for f in found
            ),
            found,
        )
        self.assertTrue(
            any("forbidden edge checks -> services" in f for f in found), found
        )
        self.assertTrue(
            any("src/net/mod.rs:1: forbidden edge net -> proto" in f for f in found),
            found,
        )

    def test_clap_belongs_to_the_cli(self):
        tree = make(
            self,
            {
                "lib.rs": "",
                "main.rs": "use clap::Command;\nuse openstack_healthcheck::cli;\n",
                "cli/mod.rs": "use clap::{Arg, Command};\nfn e(x: clap::Error) {}\n",
                "net/tls.rs": "use clap::{Arg, ArgMatches};\nfn f(m: &clap::ArgMatches) {}\n",
            },
        )
        found = tree.violations()
        self.assertEqual(
            found,
            [
                "src/net/tls.rs:1: clap used in net: argument parsing belongs to src/cli/"
            ],
        )
        self.assertIn(("main", "cli"), tree.edges())

    def test_super_paths_resolve_against_the_module(self):
        tree = make(
            self,
            {
                "lib.rs": "",
                # src/checks/mod.rs is `checks`: its super is the crate root.
                "checks/mod.rs": "use super::proto::x;\nmod tests {\n    use super::*;\n    use super::super::cli;\n}\n",
                "checks/http.rs": "use super::with_endpoint;\n",
                "proto.rs": "",
                "cli.rs": "",
            },
        )
        self.assertEqual(tree.edges(), {("checks", "proto"), ("checks", "cli")})

    def test_comments_and_strings_are_not_imports(self):
        tree = make(
            self,
            {
                "lib.rs": "",
                "proto.rs": (
                    "//! Unlike crate::checks::http, this client...\n"
                    "/* use crate::verdict::Checked; /* nested */ crate::cli */\n"
                    'const A: &str = "crate::services::x";\n'
                    'const B: &str = r#"use clap::Arg; "crate::output""#;\n'
                    "fn f<'a>(x: &'a str) -> char { '\"' }\n"
                    "use crate::net::Endpoint;\n"
                ),
                "net.rs": "",
                "checks.rs": "",
                "verdict.rs": "",
                "services.rs": "",
                "cli.rs": "",
                "output.rs": "",
            },
        )
        self.assertEqual(tree.violations(), [])
        self.assertEqual(tree.edges(), {("proto", "net")})

    def test_this_repository_passes(self):
        src = Path(__file__).resolve().parents[2] / "src"
        found, edges = layers.violations(src)
        self.assertEqual(found, [])
        # The layers really are wired: the CLI calls the checks, the checks the clients.
        self.assertIn(("cli", "checks"), edges)
        self.assertIn(("checks", "proto"), edges)


if __name__ == "__main__":
    unittest.main()
