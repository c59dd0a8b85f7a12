"""The one-cycle learning rates that src/train/schedule.rs's test compares with: torch's
OneCycleLR(max_lr=1, total_steps=100, pct_start=0.25, cycle_momentum=False), the rate used at
each step. Run with the project's torch: `.venv/bin/python bench/onecycle_reference.py`."""
import torch

p = [torch.nn.Parameter(torch.zeros(1))]
opt = torch.optim.SGD(p, lr=1.0)
sched = torch.optim.lr_scheduler.OneCycleLR(
    opt, max_lr=1.0, total_steps=100, pct_start=0.25, cycle_momentum=False)
rates = []
for step in range(100):
    rates.append(opt.param_groups[0]["lr"])
    opt.step()
    if step < 99:
        sched.step()
for step in [0, 10, 24, 50, 75, 90, 99]:
    print(step, repr(rates[step]))
