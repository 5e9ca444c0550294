#!/usr/bin/env python3
"""Validates SARIF files against the SARIF 2.1.0 JSON schema.

Usage: validate-sarif.py SCHEMA FILE... ; prints one line per problem, exits 1 when any file is
invalid. Run with the project's venv (scripts/python-venv.sh installs jsonschema).
"""
import json
import sys

import jsonschema


def main() -> int:
    schema_path, *files = sys.argv[1:]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    bad = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        for error in errors:
            where = "/".join(str(p) for p in error.absolute_path)
            print(f"{path}: {where}: {error.message}")
        bad += bool(errors)
        if not errors:
            print(f"{path}: valid SARIF 2.1.0")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
