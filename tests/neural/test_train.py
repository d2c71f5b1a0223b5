"""Teacher training and distillation: loss goes down, checkpoints resume, pipelines come out; the CLI."""
import json
import shutil

import numpy as np
import pytest
import torch

from neuralos.cli import main
from neuralos.neural import shards as sh
from neuralos.neural.pipeline import UIRenderPipeline, denoise
from neuralos.neural.train import (EpochSampler, PairDataset, TrainConfig, Trainer, _batches, _loader, detail_mask,
                                   drop_previous, gate_loss, grown_model, train, weighted_mse)

from neural_scenes import TINY_MODEL, painted_frame, random_scene, synthetic_pairs, tiny_model

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def dataset():
    return PairDataset(synthetic_pairs(4, 96, 64, seed=0), crop=32, seed=0, length=8)


def teacher_cfg(out, **kw):
    base = dict(mode="teacher", out=str(out), steps=12, batch_size=4, crop=32, lr=3e-3, model=dict(TINY_MODEL),
                checkpoint_every=6, log_every=3, eval_crops=4, progress=False, sample_steps=4)
    return TrainConfig(**{**base, **kw})


def log(out):
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def teacher(tmp_path_factory, dataset):
    out = tmp_path_factory.mktemp("runs") / "teacher"
    result = train(teacher_cfg(out, steps=40, checkpoint_every=20), dataset=dataset)
    return out, result


def test_teacher_learns_and_writes_a_pipeline(teacher):
    out, result = teacher
    losses = [r["loss"] for r in log(out) if "loss" in r]
    assert len(losses) >= 10 and all(np.isfinite(losses))
    assert np.mean(losses[-3:]) < 0.6 * np.mean(losses[:2])
    assert result["step"] == 40 and set(result["metrics"]) == {"psnr_1step", "psnr_4step"}
    pipe = UIRenderPipeline.from_pretrained(out / "pipeline", local_files_only=True, use_safetensors=True)
    assert pipe.config.default_num_inference_steps == 4
    info = json.loads((out / "pipeline" / "training.json").read_text())
    assert info["mode"] == "teacher" and info["step"] == 40 and info["data_samples"] == 8
    assert [p.name for p in sorted((out / "checkpoints").iterdir())] == ["step-20", "step-40"]


def test_checkpoint_resume_continues_the_run(tmp_path, dataset):
    out = tmp_path / "t"
    train(teacher_cfg(out, steps=6, checkpoint_every=3), dataset=dataset)
    assert json.loads((out / "checkpoints" / "step-6" / "trainer.json").read_text())["step"] == 6
    trainer = Trainer(teacher_cfg(out, steps=9, checkpoint_every=3, resume=True), dataset=dataset)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    assert trainer.resume() and trainer.step == 6
    loaded = trainer.model.state_dict()
    assert any(not torch.equal(before[k], loaded[k]) for k in before)   # the checkpoint's weights, not new ones
    result = train(teacher_cfg(out, steps=9, checkpoint_every=3, resume=True), dataset=dataset)
    assert result["step"] == 9
    steps = [r["step"] for r in log(out) if "loss" in r]
    assert steps == [3, 6, 9]                                             # no step trained twice
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step-6", "step-9"]  # keeps 2


def test_distillation_trains_a_few_step_student(teacher, tmp_path, dataset):
    t_out, _ = teacher
    out = tmp_path / "student"
    cfg = TrainConfig(mode="distill", out=str(out), teacher=str(t_out / "pipeline"), steps=4, batch_size=2,
                      crop=32, lr=1e-3, teacher_steps=6, student_steps=2, checkpoint_every=2, log_every=1,
                      eval_crops=2, progress=False)
    trainer = Trainer(cfg, dataset=dataset)
    teacher_weights = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    assert all(torch.equal(teacher_weights[k], v) for k, v in trainer.teacher.state_dict().items())  # init
    batch = next(iter(trainer.loader))
    losses = [trainer.train_step(batch) for _ in range(2)]               # step 1 is the LR warm-up's zero
    assert np.isfinite(losses).all() and min(losses) > 0
    assert any(not torch.equal(teacher_weights[k], v) for k, v in trainer.model.state_dict().items())
    assert all(not p.requires_grad for p in trainer.teacher.parameters())
    result = train(cfg, dataset=dataset)
    assert set(result["metrics"]) == {"psnr_1step", "psnr_2step", "teacher_psnr_6step"}
    pipe = UIRenderPipeline.from_pretrained(out / "pipeline", local_files_only=True, use_safetensors=True)
    assert pipe.config.default_num_inference_steps == 2
    assert json.loads((out / "pipeline" / "training.json").read_text())["teacher"] == str(t_out / "pipeline")


def test_a_student_grows_a_palette_head_from_an_earlier_student(teacher, tmp_path, dataset):
    t_out, _ = teacher
    out = tmp_path / "grown"
    cfg = TrainConfig(mode="distill", out=str(out), teacher=str(t_out / "pipeline"), init=str(t_out / "pipeline"),
                      model={"palette_head": True}, steps=2, batch_size=2, crop=32, lr=1e-3, teacher_steps=2,
                      student_steps=1, data_weight=4, detail_weight=4, checkpoint_every=2, log_every=1,
                      eval_crops=2, progress=False)
    trainer = Trainer(cfg, dataset=dataset)
    student = trainer.accelerator.unwrap_model(trainer.model)
    assert student.config.palette_head and not trainer.teacher.config.palette_head
    assert [g["lr"] for g in trainer.opt.optimizer.param_groups] == [0.0, 0.0]      # warm-up starts at 0 ...
    assert [g["initial_lr"] for g in trainer.opt.optimizer.param_groups] == [1e-3, 1e-2]  # ... new ones learn 10x
    x, c = torch.randn(1, 3, 32, 32), next(iter(trainer.loader))["conditioning"][:1]
    with torch.no_grad():   # grown, it paints what its source paints
        assert torch.allclose(student(x, 999, c).sample, trainer.teacher(x, 999, c).sample, atol=1e-6)
    train(cfg, dataset=dataset)
    pipe = UIRenderPipeline.from_pretrained(out / "pipeline", local_files_only=True, use_safetensors=True)
    assert pipe.model.config.palette_head and pipe.model.palette_gate.weight.abs().sum() > 0   # it trained
    for record in (r for r in log(out) if "loss" in r):    # the loss's terms are logged apart and add up
        assert record["loss"] == pytest.approx(record["loss_teacher"] + record["loss_data"], rel=1e-5)


def test_grown_only_trains_the_new_steered_gate_and_nothing_else(teacher, tmp_path, dataset):
    from neuralos.errors import BadInput
    t_out, _ = teacher
    out = tmp_path / "steered"
    cfg = TrainConfig(mode="distill", out=str(out), init=str(t_out / "pipeline"), teacher_weight=0, data_weight=1,
                      model={"palette_head": True, "steered_maps": ["state:hovered"], "steered_gate_channels": 8},
                      grown_only=True, steps=4, batch_size=2, crop=32, lr=1e-3, student_steps=1, checkpoint_every=4,
                      log_every=1, eval_crops=2, state_bias=1.0, progress=False)
    trainer = Trainer(cfg, dataset=dataset)
    assert [g["initial_lr"] for g in trainer.opt.optimizer.param_groups] == [1e-2]   # the new modules alone
    train(cfg, dataset=dataset)
    pipe = UIRenderPipeline.from_pretrained(t_out / "pipeline", local_files_only=True, use_safetensors=True)
    grown = UIRenderPipeline.from_pretrained(out / "pipeline", local_files_only=True, use_safetensors=True).model
    before, after = pipe.model.state_dict(), grown.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in before.items())
    assert grown.steered_gate[-1].weight.abs().sum() > 0                    # the hovered pixels taught it
    pipe.register_modules(model=grown_model(pipe.model, {"palette_head": True})[0])
    pipe.save_pretrained(tmp_path / "palette", safe_serialization=True)
    cfg.init, cfg.out = str(tmp_path / "palette"), str(tmp_path / "unreached")
    cfg.model = {"steered_maps": ["state:invalid"], "steered_gate_channels": 8}
    train(cfg, dataset=dataset)                # no crop has an invalid component: nothing to learn, no error
    grown = UIRenderPipeline.from_pretrained(tmp_path / "unreached" / "pipeline", local_files_only=True,
                                             use_safetensors=True).model
    assert grown.steered_gate[-1].weight.abs().sum() == 0
    with pytest.raises(BadInput, match="--grown-only"):
        TrainConfig(mode="distill", init=str(t_out / "pipeline"), teacher_weight=0, grown_only=True).validate()


class _MaskedPairs(PairDataset):
    """PairDataset items with a state mask over their left half, as shard crops carry one."""

    def __getitem__(self, index):
        item = super().__getitem__(index)
        mask = np.zeros(item["frame"].shape[:2], np.float32)
        mask[:, : mask.shape[1] // 2] = 1
        rows = np.zeros_like(mask)
        rows[: mask.shape[0] // 4] = 1
        return {**item, "state_mask": mask, "component_mask": rows}


@pytest.mark.parametrize("mask, option", [("state_mask", "state"), ("component_mask", "component")])
def test_state_and_component_weights_weigh_the_pixels_of_their_masks(teacher, tmp_path, dataset, mask, option):
    t_out, _ = teacher
    masked = _MaskedPairs(dataset.pairs, crop=32, seed=0, length=8)
    cfg = TrainConfig(mode="distill", out=str(tmp_path / "s"), init=str(t_out / "pipeline"), teacher_weight=0,
                      steps=1, batch_size=2, crop=32, student_steps=1, data_weight=1, detail_weight=4,
                      eval_crops=2, progress=False, **{f"{option}_weight": 8})
    trainer = Trainer(cfg, dataset=masked)
    student = trainer.accelerator.unwrap_model(trainer.model)
    batch = next(iter(trainer.loader))
    assert batch[mask].shape == (2, 1, 32, 32)
    torch.manual_seed(0)
    loss = float(trainer.loss(batch).detach())
    torch.manual_seed(0)
    noise = torch.randn_like(batch["frame"])
    with torch.no_grad():
        final = denoise(student, trainer.sample_scheduler, noise, batch["conditioning"], 1)[0]
    detail = 1 + 4 * detail_mask(batch["frame"])
    assert loss == pytest.approx(float(weighted_mse(final.float(), batch["frame"], detail + 8 * batch[mask])), rel=1e-4)
    assert loss != pytest.approx(float(weighted_mse(final.float(), batch["frame"], detail)), rel=1e-3)
    unmasked = Trainer(cfg, dataset=dataset)                # pairs without scenes have no mask to weigh
    from neuralos.errors import BadInput
    with pytest.raises(BadInput, match=f"{option}-weight needs data with scenes"):
        unmasked.loss(next(iter(unmasked.loader)))


def test_teacher_weight_zero_fine_tunes_a_student_without_a_teacher(teacher, tmp_path, dataset):
    t_out, _ = teacher
    out = tmp_path / "tuned"
    cfg = TrainConfig(mode="distill", out=str(out), teacher=str(tmp_path / "no-teacher"), init=str(t_out / "pipeline"),
                      teacher_weight=0, steps=6, batch_size=2, crop=32, lr=1e-3, student_steps=1, teacher_steps=1,
                      data_weight=1, detail_weight=4, checkpoint_every=3, log_every=1, eval_crops=2, progress=False)
    trainer = Trainer(cfg, dataset=dataset)                 # the missing teacher folder is never read
    assert trainer.teacher is None
    start = UIRenderPipeline.from_pretrained(t_out / "pipeline", local_files_only=True, use_safetensors=True).model
    student = trainer.accelerator.unwrap_model(trainer.model)
    assert all(torch.equal(v, start.state_dict()[k]) for k, v in student.state_dict().items())   # from --init
    batch = next(iter(trainer.loader))
    torch.manual_seed(0)
    loss = float(trainer.loss(batch).detach())              # the data term alone
    torch.manual_seed(0)
    noise = torch.randn_like(batch["frame"])
    with torch.no_grad():
        final = denoise(student, trainer.sample_scheduler, noise, batch["conditioning"], 1)[0]
    weight = 1 + 4 * detail_mask(batch["frame"])
    assert loss == pytest.approx(float(weighted_mse(final.float(), batch["frame"], weight)), rel=1e-4)
    result = train(cfg, dataset=dataset)
    assert set(result["metrics"]) == {"psnr_1step"}          # no teacher column
    info = json.loads((out / "pipeline" / "training.json").read_text())
    assert "teacher" not in info and info["config"]["teacher_weight"] == 0
    tuned = UIRenderPipeline.from_pretrained(out / "pipeline", local_files_only=True, use_safetensors=True)
    assert tuned.config.default_num_inference_steps == 1
    assert any(not torch.equal(v, start.state_dict()[k]) for k, v in tuned.model.state_dict().items())


def test_growing_refuses_changes_that_are_not_additions():
    from neuralos.errors import BadInput
    source = tiny_model(seed=1)
    same, new = grown_model(source, {})
    assert same.state_dict().keys() == source.state_dict().keys() and new == []
    grown, new = grown_model(source, {"palette_head": True})
    assert sorted(new) == ["palette_gate.bias", "palette_gate.weight"] and grown.config.palette_head
    grown, new = grown_model(grown, {"palette_colors": ["#ffffff", "#000000"]})
    assert sorted(new) == ["fixed_gate.bias", "fixed_gate.weight"] and grown.config.palette_head
    deeper, new = grown_model(grown, {"refine_blocks": 2})
    assert sorted(new) == [f"refinement_blocks.{i}.{j}.{w}" for i in (0, 1) for j in (0, 2) for w in ("bias", "weight")]
    x, cond = torch.randn(2, 3, 20, 28), torch.rand(2, deeper.config.conditioning_channels, 20, 28)
    with torch.no_grad():                         # the blocks start as no-ops: the same pixels as before
        assert torch.equal(deeper(x, 300, cond).sample, grown(x, 300, cond).sample)
    with pytest.raises(BadInput, match="shape of existing weights"):
        grown_model(source, {"refine_channels": 4})
    with pytest.raises(BadInput, match="not a UIRendererModel setting"):
        grown_model(source, {"colour_head": True})
    with pytest.raises(BadInput, match="removes weights"):
        grown_model(tiny_model(palette_head=True), {"palette_head": False})
    with pytest.raises(BadInput, match="removes weights"):
        grown_model(deeper, {"refine_blocks": 1})
    with pytest.raises(BadInput, match="change what the model paints"):
        grown_model(source, {"sigma_data": 0.5})             # no new weights, other pixels


def test_detail_mask_finds_thin_lines_and_text_but_not_gradients():
    frame = torch.full((1, 3, 20, 30), 0.6)
    frame[:, :, :, 20:] = torch.linspace(0.6, 0.6 - 9 * 0.03, 10)   # a soft gradient, under DETAIL_STEP a pixel
    frame[:, 2, 10, 2:12] = 0.0                        # a 1-px line in one channel only
    mask = detail_mask(frame)
    assert mask.shape == (1, 1, 20, 30) and set(mask.unique().tolist()) == {0.0, 1.0}
    rows, cols = mask[0, 0].nonzero(as_tuple=True)
    assert rows.min() == 8 and rows.max() == 12 and cols.min() == 0 and cols.max() == 13   # the line, grown 2 px
    assert mask[0, 0, :, 20:].sum() == 0


def test_weighted_mse_is_the_mse_when_uniform_and_favours_weighted_pixels():
    a, b = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8)
    assert torch.allclose(weighted_mse(a, b, torch.full((2, 1, 8, 8), 3.0)), torch.nn.functional.mse_loss(a, b))
    pred, target = torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    pred[..., 0, 0] = 1.0                              # all error on one pixel
    weight = torch.ones(1, 1, 4, 4)
    plain = float(weighted_mse(pred, target, weight))
    weight[..., 0, 0] = 5.0
    assert float(weighted_mse(pred, target, weight)) == pytest.approx(plain * 5 * 16 / 20)


def test_the_epoch_travels_with_the_index_so_loader_processes_can_persist():
    sampler = EpochSampler(10, seed=3)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert {e for e, _ in first} == {0} and {e for e, _ in second} == {1}
    assert sorted(i for _, i in first) == sorted(i for _, i in second) == list(range(10))
    assert [i for _, i in first] != [i for _, i in second]
    sampler.set_epoch(0)
    assert list(sampler) == first                                   # a pure function of (seed, epoch)

    ds = PairDataset(synthetic_pairs(3, 96, 64, seed=1), crop=32, seed=0, length=6)
    direct = {}
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        direct[epoch] = {i: ds[i]["region"] for i in range(6)}
        assert all(ds[epoch, i]["region"] == direct[epoch][i] for i in range(6))
    assert direct[0] != direct[1]                                   # each epoch crops anew

    from accelerate import Accelerator
    cfg = TrainConfig(batch_size=3, seed=5, progress=False)
    loader = Accelerator(cpu=True).prepare(_loader(ds, cfg))
    fresh = PairDataset(synthetic_pairs(3, 96, 64, seed=1), crop=32, seed=0, length=6)   # its own epoch stays 0
    batches = _batches(loader, fresh, start_epoch=0)
    seen: dict[int, list] = {0: [], 1: []}
    while True:
        epoch, batch = next(batches)
        if epoch > 1:
            break
        seen[epoch].append(batch["frame"])
    for epoch in (0, 1):
        frames = torch.cat(seen[epoch])
        expected = torch.stack([sh.collate([ds[epoch, i]])["frame"][0] for i in range(6)])
        matched = [any(torch.equal(f, e) for f in frames) for e in expected]
        assert len(frames) == 6 and all(matched)
    assert _loader(ds, TrainConfig(num_workers=2)).persistent_workers


def test_drop_previous_clears_maps_and_flag():
    from neuralos.neural.conditioning import CONDITIONING_CHANNELS, PREVIOUS_FLAG, PREVIOUS_SLICE
    cond = torch.ones(64, CONDITIONING_CHANNELS, 2, 2)
    drop_previous(cond, 0.5, torch.Generator().manual_seed(0))
    dropped = cond[:, PREVIOUS_FLAG, 0, 0] == 0
    assert 10 < int(dropped.sum()) < 54
    assert (cond[dropped, PREVIOUS_SLICE.start:PREVIOUS_FLAG + 1] == 0).all()
    assert (cond[~dropped] == 1).all() and (cond[:, :PREVIOUS_SLICE.start] == 1).all()


def test_gate_loss_asks_for_exactly_the_palette_colours_of_the_flat_areas():
    red, white = torch.tensor([1.0, -1.0, -1.0]), torch.tensor([1.0, 1.0, 1.0])
    frame = torch.empty(1, 3, 9, 10)
    frame[0, :, :, :5], frame[0, :, :, 5:] = red[:, None, None], white[:, None, None]   # left red, right white
    # Three gates: a primary plane (red), a background plane (white) and a fixed white.
    colors = torch.stack([red, white, white])[None, :, :, None, None].expand(1, 3, 3, 9, 10)
    exact = torch.zeros(1, 3, 9, 10)
    exact[0, 0, :, :5] = 1
    exact[0, 1:, :, 5:] = 0.5
    exact[0, :, :, 3:7] = 7                                      # 2 px each side of the edge: nobody's business
    assert float(gate_loss(exact, colors, frame)) == 0
    weak = exact.clone()
    weak[0, 0, :, :3] = 0.5                                      # red painted half from elsewhere
    # The flat red pixels' error (0.25) and the flat white ones' (0, for both white gates), per gate colour.
    assert float(gate_loss(weak, colors, frame)) == pytest.approx(0.25 / 3)
    leaky = exact.clone()
    leaky[0, 1, :, :3] = 0.5                                     # red pixels gated towards white as well
    assert float(gate_loss(leaky, colors, frame)) == pytest.approx(0.25 / 3)
    near = frame + 1 / 127.5                                     # one level off is still the colour
    assert float(gate_loss(weak, colors, near)) == pytest.approx(0.25 / 3)
    assert float(gate_loss(weak, colors, torch.full_like(frame, 0.2))) == 0   # no palette colour: nothing to say
    lined = frame.clone()
    lined[0, :, 4] = white[:, None]                              # a 1-px white line across the red ...
    thin = weak.clone()
    thin[0, :, 2:7, :3] = 3                                      # ... whatever the gates do on it and near it
    assert float(gate_loss(thin, colors, lined)) == pytest.approx(0.25 / 3)


def test_gate_weight_trains_the_gates_towards_the_reference_palette(teacher, tmp_path, dataset):
    t_out, _ = teacher
    base = dict(mode="distill", teacher_weight=0, init=str(t_out / "pipeline"), steps=1, batch_size=4, crop=32,
                student_steps=1, teacher_steps=1, data_weight=1, checkpoint_every=10, log_every=1, eval_crops=2,
                progress=False)
    from neuralos.errors import BadInput
    with pytest.raises(BadInput, match="needs a student with palette gates"):
        Trainer(TrainConfig(out=str(tmp_path / "plain"), gate_weight=1, **base), dataset=dataset)
    def trained(weight):
        torch.manual_seed(0)
        cfg = TrainConfig(out=str(tmp_path / f"gated-{weight}"), gate_weight=weight, model={"palette_head": True},
                          lr=3e-2, **{**base, "steps": 60})
        trainer = Trainer(cfg, dataset=dataset)
        return trainer, trainer.accelerator.unwrap_model(trainer.model)

    trainer, student = trained(1)
    batch = next(iter(trainer.loader))

    def gates_off(model):
        with torch.no_grad():
            out = model(torch.randn_like(batch["frame"]), 999, batch["conditioning"])
        return float(gate_loss(out.gates, model.gate_colors(batch["conditioning"]), batch["frame"]))

    torch.manual_seed(0)
    with_gates = float(trainer.loss(batch).detach())
    trainer.cfg.gate_weight = 0
    torch.manual_seed(0)
    without = float(trainer.loss(batch).detach())
    trainer.cfg.gate_weight = 1
    before = gates_off(student)
    assert before > 0.1 and with_gates == pytest.approx(without + before, rel=1e-4)   # zero gates: far off
    control, control_student = trained(0)
    for _ in range(20):
        trainer.train_step(batch)
        control.train_step(batch)
    assert gates_off(student) < 0.5 * before
    assert gates_off(student) < 0.7 * gates_off(control_student)   # the pixel loss alone moves them less


def test_bad_config_is_rejected(tmp_path):
    from neuralos.errors import BadInput
    with pytest.raises(BadInput, match="multiple of 16"):
        TrainConfig(crop=30).validate()
    with pytest.raises(BadInput, match="student-steps"):
        TrainConfig(mode="distill", student_steps=8).validate()
    with pytest.raises(BadInput, match="detail-weight, --state-weight, --component-weight and --gate-weight must not"):
        TrainConfig(mode="distill", detail_weight=-1).validate()
    for weight in ("state_weight", "component_weight"):
        with pytest.raises(BadInput, match="must not be negative"):
            TrainConfig(mode="distill", **{weight: -1}).validate()
    with pytest.raises(BadInput, match="needs --init"):
        TrainConfig(mode="distill", teacher_weight=0).validate()
    with pytest.raises(BadInput, match="data-weight above 0"):
        TrainConfig(mode="distill", teacher_weight=0, init="runs/student/pipeline", data_weight=0).validate()
    with pytest.raises(BadInput, match="gate-weight must not be negative"):
        TrainConfig(mode="distill", gate_weight=-0.1).validate()
    with pytest.raises(BadInput, match="state-bias must be 0..1"):
        TrainConfig(state_bias=1.5).validate()


def _write_shards(folder, n=6):
    rng = np.random.default_rng(0)
    samples = []
    for i in range(n):
        scene = random_scene(rng, 96, 64)
        frame = painted_frame(scene)
        split = "eval" if i == n - 1 else "train"
        samples.append(sh.Sample(f"s{i:09d}", frame, None, scene, {"seed": i, "messages": [], "script": []},
                                 {"seed": i, "split": split, "frame_hash": sh.pixels_hash(frame)}))
    idx = sh.write_shard(folder, 0, samples)
    sh.write_manifest(folder, [idx], {"generator": "test"})


def test_cli_trains_teacher_then_student_from_shards(tmp_path, capsys):
    data = tmp_path / "data"
    _write_shards(data)
    model = json.dumps(TINY_MODEL)
    rc = main(["train", "teacher", "--data", str(data), "--out", str(tmp_path / "runs" / "teacher"), "--steps", "3",
               "--batch-size", "2", "--crop", "32", "--model", model, "--checkpoint-every", "3", "--no-progress",
               "--threads", "1", "--sample-steps", "3"])
    assert rc == 0 and "pipeline in" in capsys.readouterr().out
    rc = main(["train", "distill", "--data", str(data), "--out", str(tmp_path / "runs" / "student"), "--steps", "2",
               "--batch-size", "2", "--crop", "32", "--teacher-steps", "3", "--student-steps", "1",
               "--checkpoint-every", "2", "--no-progress"])
    assert rc == 0
    assert (tmp_path / "runs" / "student" / "pipeline" / "model_index.json").is_file()
    copy = tmp_path / "data-2"
    _write_shards(copy)
    rc = main(["train", "distill", "--data", str(data), "--data", str(copy), "--out", str(tmp_path / "runs" / "grown"),
               "--steps", "1", "--batch-size", "2", "--crop", "32", "--teacher-steps", "1", "--student-steps", "1",
               "--teacher", str(tmp_path / "runs" / "teacher" / "pipeline"),
               "--init", str(tmp_path / "runs" / "student" / "pipeline"), "--model", '{"palette_head": true}',
               "--state-bias", "0.5", "--no-progress"])
    info = json.loads((tmp_path / "runs" / "grown" / "pipeline" / "training.json").read_text())
    assert rc == 0 and info["data_samples"] == 10 and info["config"]["init"].endswith("student/pipeline")
    assert info["config"]["state_bias"] == 0.5
    assert main(["train", "distill", "--data", str(data), "--out", str(tmp_path / "runs" / "bad"),
                 "--teacher", str(tmp_path / "runs" / "teacher" / "pipeline"), "--init", str(tmp_path)]) == 2
    assert main(["train", "teacher", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "x")]) == 2
    assert main(["train", "distill", "--data", str(data), "--out", str(tmp_path / "nowhere" / "s")]) == 2


def test_a_student_of_an_older_map_format_starts_a_new_one_a_teacher_must_match(teacher, tmp_path, dataset):
    from neuralos.errors import BadInput
    from neuralos.scene import MODEL_FORMAT_VERSION
    t_out, _ = teacher
    old = tmp_path / "old"
    shutil.copytree(t_out / "pipeline", old)
    config = old / "model" / "config.json"
    config.write_text(config.read_text().replace(f'"format_version": {MODEL_FORMAT_VERSION}',
                                                 f'"format_version": {MODEL_FORMAT_VERSION - 1}'))
    cfg = TrainConfig(mode="distill", out=str(tmp_path / "s"), init=str(old), teacher_weight=0, data_weight=1,
                      steps=2, batch_size=2, crop=32, student_steps=1, checkpoint_every=2, eval_crops=2,
                      progress=False)
    trainer = Trainer(cfg, dataset=dataset)
    student = trainer.accelerator.unwrap_model(trainer.model)
    assert student.config.format_version == MODEL_FORMAT_VERSION
    source = UIRenderPipeline.from_pretrained(t_out / "pipeline", local_files_only=True, use_safetensors=True).model
    assert all(torch.equal(v, source.state_dict()[k]) for k, v in student.state_dict().items())   # its weights
    saved = json.loads((trainer.save_pipeline() / "model" / "config.json").read_text())
    assert saved["format_version"] == MODEL_FORMAT_VERSION and "_name_or_path" not in saved   # no path of this machine
    with pytest.raises(BadInput, match="does not match this build"):
        Trainer(TrainConfig(mode="distill", out=str(tmp_path / "t"), teacher=str(old), steps=1, crop=32,
                            progress=False), dataset=dataset)
