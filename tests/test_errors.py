"""One-line error reports: what users see of a library's exception."""
from neuralos.errors import BadInput, first_line


def test_first_line_keeps_only_the_first_line_and_shortens_it():
    assert first_line(ValueError("shape mismatch\n  Traceback-ish detail")) == "shape mismatch"
    long = first_line(RuntimeError("x" * 1000), limit=50)
    assert long == "x" * 50 + "..."


def test_first_line_names_the_type_when_there_is_no_message():
    assert first_line(KeyError()) == "KeyError"
    assert first_line(OSError("  \n ")) == "OSError"


def test_bad_input_names_where():
    e = BadInput("not a JSON object", where="ui.json:3")
    assert str(e) == "ui.json:3: not a JSON object" and e.exit_code == 2
