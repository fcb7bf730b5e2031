"""The CLI does what the Python API does: train a run from YAML, then ask it questions."""

from __future__ import annotations

from typer.testing import CliRunner

from tunelab.cli import app

runner = CliRunner()


def test_train_then_generate_and_inspect(tmp_path, qa_file):
    config = tmp_path / "cfg.yaml"
    config.write_text(
        f"name: cli\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny-random}}\n"
        f"data: {{path: {qa_file}, max_length: 128, test_size: 2}}\n"
        "train: {max_steps: 2, batch_size: 2, eval_every: 1, save_every: 1}\n"
    )
    result = runner.invoke(app, ["train", str(config), "--set", "train.lr=1e-3"])
    assert result.exit_code == 0, result.output
    run = tmp_path / "runs" / "cli"
    assert {"config.yaml", "metrics.jsonl", "loss.png", "model", "checkpoints"} <= {
        p.name for p in run.iterdir()
    }
    assert "lr: 0.001" in (run / "config.yaml").read_text()

    result = runner.invoke(
        app, ["generate", str(run), "What color is the sky?", "--max-new-tokens", "4"]
    )
    assert result.exit_code == 0, result.output

    result = runner.invoke(
        app, ["data", "inspect", str(qa_file), "--model", "tiny-random", "--rows", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "What color is the sky?" in result.output and "trained" in result.output


def test_resume_without_checkpoint_is_a_clear_error(tmp_path, qa_file):
    config = tmp_path / "cfg.yaml"
    config.write_text(
        f"name: none\noutput_dir: {tmp_path}\nmodel: {{name: tiny-random}}\n"
        f"data: {{path: {qa_file}}}\n"
    )
    result = runner.invoke(app, ["train", str(config), "--resume"])
    assert result.exit_code != 0
    assert "no checkpoint to resume from" in str(result.exception)
