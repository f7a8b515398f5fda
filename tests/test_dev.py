"""groupsite/dev.py, the runner a fresh clone starts with."""

from groupsite import dev


def test_dev_up_creates_the_folder_beat_keeps_its_schedule_in_even_on_postgresql(tmp_path):
    var_dir = tmp_path / "fresh-clone" / "var"
    env = {"ROUNDTABLE_VAR_DIR": str(var_dir), "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/roundtable"}
    assert dev.prepare_local_state(env) == var_dir
    assert var_dir.is_dir()
