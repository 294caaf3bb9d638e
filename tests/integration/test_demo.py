"""`make demo`: the game store runs on both databases and says what a user should see."""

from __future__ import annotations

import subprocess
import sys

from tether import demo


def test_demo_runs_and_reports(db_url, capsys):
    assert demo.main(db_url) == 0
    out = capsys.readouterr().out
    assert "ada    Factorio        410" in out
    assert "Most played game: Factorio (505 hours by 2 players)" in out
    assert "ada played Hades for 120 h; also owned by: brook" in out
    assert "IntegrityError" in out and "user_library" in out
    assert "library entries: 7" in out
    # the broken variant is explained: missing foreign key and the wrong back_populates
    assert "TR001" in out and "TR003" in out and "back_populates='pets'" in out


def test_python_dash_m_tether_demo_uses_embedded_sqlite():
    done = subprocess.run([sys.executable, "-m", "tether.demo"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "the game store on sqlite://" in done.stdout
