"""Spec documents from YAML text or a .yaml file path, as Feast 0.9's
from_yaml reads them (PyYAML is needed only here and for to_yaml)."""


def _contents(yml):
    if isinstance(yml, str) and yml.count("\n") == 0 and (".yaml" in yml.lower() or ".yml" in yml.lower()):
        with open(yml) as f:
            return f.read()
    if isinstance(yml, str):
        return yml
    raise Exception(f"Invalid YAML provided. Please provide either a file path or YAML string.\nProvided YAML: {yml}")


def load_all(yml):
    import yaml
    return [d for d in yaml.safe_load_all(_contents(yml)) if d is not None]


def load_single(yml):
    docs = load_all(yml)
    if len(docs) != 1:
        raise Exception("More than one YAML file is being loaded when only a single file is supported: "
                        f"{len(docs)} documents")
    return docs[0]
