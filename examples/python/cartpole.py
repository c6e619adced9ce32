"""CartPole in pure Python, served to ppo over a pipe: the example of an environment in Python.

Gymnasium's CartPole-v1 dynamics (Euler integration, the same constants and termination
thresholds); observations are Python floats rather than float32. Train it with

    ppo train --config examples/python/cartpole.yaml

or any config with env.id external and env.external.command [python3, examples/python/cartpole.py].
"""

import math
import os
import random
import sys

# ppoenv.py is one file: copy it next to your environment. This example uses the repository's.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "env", "external"))
import ppoenv  # noqa: E402

THETA_LIMIT = 12 * 2 * math.pi / 360
X_LIMIT = 2.4


class CartPole:
    id = "CartPole-v1"
    doc = "pure-Python CartPole (Gymnasium's dynamics), served over a pipe"
    max_episode_steps = 500
    reward_threshold = 475.0
    params = {
        "gravity": (9.8, "gravitational acceleration"),
        "length": (0.5, "half the pole's length"),
        "force_mag": (10.0, "force of a push"),
    }

    def __init__(self, seed, params, text_params):
        self.rng = random.Random(seed)
        self.gravity, self.length, self.force_mag = params["gravity"], params["length"], params["force_mag"]
        self.masscart, self.masspole, self.tau = 1.0, 0.1, 0.02
        self.total_mass = self.masscart + self.masspole
        self.polemass_length = self.masspole * self.length
        high = [X_LIMIT * 2, 3.4028234663852886e38, THETA_LIMIT * 2, 3.4028234663852886e38]
        self.observation_space = ppoenv.Box([-h for h in high], high)
        self.action_space = ppoenv.Discrete(2)
        self.state = None

    def reset(self):
        u = self.rng.uniform
        self.state = [u(-0.05, 0.05), u(-0.05, 0.05), u(-0.05, 0.05), u(-0.05, 0.05)]
        return list(self.state)

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        cos, sin = math.cos(theta), math.sin(theta)
        temp = (force + self.polemass_length * theta_dot * theta_dot * sin) / self.total_mass
        theta_acc = (self.gravity * sin - cos * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * cos * cos / self.total_mass))
        x_acc = temp - self.polemass_length * theta_acc * cos / self.total_mass
        x += self.tau * x_dot
        x_dot += self.tau * x_acc
        theta += self.tau * theta_dot
        theta_dot += self.tau * theta_acc
        self.state = [x, x_dot, theta, theta_dot]
        terminated = x < -X_LIMIT or x > X_LIMIT or theta < -THETA_LIMIT or theta > THETA_LIMIT
        return list(self.state), 1.0, terminated, False

    # Optional: with these two, a resumed run continues exactly.
    def get_state(self):
        return self.state, self.rng.getstate()

    def set_state(self, s):
        self.state, rng = s
        self.rng.setstate(rng)


if __name__ == "__main__":
    ppoenv.serve(CartPole)
