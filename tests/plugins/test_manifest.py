"""neuralos.toml parsing: fields, and errors that name the file and the key."""
import pytest

from neuralos.errors import BadInput
from neuralos.plugins.manifest import read_manifest, valid_name


def write(tmp_path, text):
    p = tmp_path / "neuralos.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_full_manifest(tmp_path):
    p = write(tmp_path, 'name = "crisp-ui"\nkind = "renderer"\nformat = "neuralos-ui"\n'
                        'description = "two steps"\n[parameters]\nsteps = 2\n')
    m = read_manifest(p)
    assert (m.name, m.kind, m.format, m.description, m.parameters) == \
        ("crisp-ui", "renderer", "neuralos-ui", "two steps", {"steps": 2})
    assert m.path == p and m.url is None


def test_endpoint_manifest(tmp_path):
    m = read_manifest(write(tmp_path, 'name = "llama"\nkind = "planner"\nformat = "openai-compatible"\n'
                                      'url = "http://127.0.0.1:8080/v1"\nmodel = "qwen"\napi_key_env = "LLAMA_KEY"\n'))
    assert (m.url, m.model, m.api_key_env) == ("http://127.0.0.1:8080/v1", "qwen", "LLAMA_KEY")


@pytest.mark.parametrize("text, where, what", [
    ('name = "x"\nkind = "renderer"\nformat = ', "neuralos.toml", "not valid TOML"),
    ('kind = "renderer"\nformat = "diffusers"\n', "neuralos.toml: name", "missing"),
    ('name = "x"\nkind = "painter"\nformat = "diffusers"\n', "neuralos.toml: kind", "renderer, planner"),
    ('name = "x"\nkind = "renderer"\n', "neuralos.toml: format", "missing"),
    ('name = "my model"\nkind = "renderer"\nformat = "diffusers"\n', "neuralos.toml: name", "not a valid model name"),
    ('name = 3\nkind = "renderer"\nformat = "diffusers"\n', "neuralos.toml: name", "non-empty string"),
    ('name = "x"\nkind = "renderer"\nformat = "diffusers"\nsteps = 2\n', "neuralos.toml: steps", "[parameters]"),
    ('name = "x"\nkind = "renderer"\nformat = "diffusers"\nparameters = 2\n', "neuralos.toml: parameters", "table"),
    ('name = "x"\nkind = "planner"\nformat = "openai-compatible"\napi_key_env = "sk-123 secret"\n',
     "neuralos.toml: api_key_env", "environment variable"),
])
def test_errors_name_file_and_key(tmp_path, text, where, what):
    with pytest.raises(BadInput) as e:
        read_manifest(write(tmp_path, text))
    assert str(e.value).startswith(str(tmp_path / where))
    assert what in str(e.value)


def test_not_utf8(tmp_path):
    p = tmp_path / "neuralos.toml"
    p.write_bytes(b'name = "\xff"\n')
    with pytest.raises(BadInput, match="not valid TOML"):
        read_manifest(p)


@pytest.mark.parametrize("name, ok", [("crisp-ui", True), ("Qwen2.5-0.5B", True), ("a_b+c", True),
                                      ("-x", False), ("a b", False), ("a/b", False), ("", False), ("x" * 65, False)])
def test_valid_name(name, ok):
    assert valid_name(name) is ok
