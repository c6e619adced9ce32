"""A stand-in for Gymnasium with its make/spec/reset/step/spaces API, for testing ppoenv's adapter.

Gymnasium cannot be installed where ppo's tests run. This module has the parts of Gymnasium 1.0's
API that ppoenv.py uses: gymnasium.make(id, max_episode_steps=..., **kwargs) with a TimeLimit,
gymnasium.spec(id), env.reset(seed=...) -> (obs, info), env.step(a) -> (obs, r, terminated,
truncated, info), and spaces.Discrete/Box/MultiDiscrete/Tuple with Gymnasium's attributes
(n, start, low, high, shape, dtype, nvec, spaces). Its one environment, Corridor-v0, is a corridor
of `length` cells: start in cell 0, action 1 moves right, 0 left; reward 1 on reaching the end.
"""

import random

from . import spaces

__version__ = "1.0.0-standin"


class EnvSpec:
    def __init__(self, id, max_episode_steps, reward_threshold):
        self.id, self.max_episode_steps, self.reward_threshold = id, max_episode_steps, reward_threshold


_specs = {"Corridor-v0": EnvSpec("Corridor-v0", 30, 0.9)}


def spec(env_id):
    return _specs[env_id]


class Corridor:
    def __init__(self, length=6):
        self.length = int(length)
        self.observation_space = spaces.Tuple([spaces.Discrete(self.length), spaces.Discrete(2)])
        self.action_space = spaces.Discrete(2)
        self.rng = random.Random(0)

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = random.Random(seed)
        self.pos, self.coin = 0, self.rng.randrange(2)
        return (self.pos, self.coin), {}

    def step(self, action):
        assert self.action_space.contains(action), action
        self.pos = max(0, min(self.length - 1, self.pos + (1 if action == 1 else -1)))
        done = self.pos == self.length - 1
        return (self.pos, self.coin), float(done), done, False, {}


class TimeLimit:
    def __init__(self, env, max_episode_steps):
        self.env, self.max, self.t = env, max_episode_steps, 0
        self.observation_space, self.action_space = env.observation_space, env.action_space

    def reset(self, **kw):
        self.t = 0
        return self.env.reset(**kw)

    def step(self, action):
        obs, r, term, trunc, info = self.env.step(action)
        self.t += 1
        return obs, r, term, trunc or (self.max is not None and self.t >= self.max), info


def make(env_id, max_episode_steps=None, **kwargs):
    if env_id != "Corridor-v0":
        raise KeyError("Environment %s doesn't exist." % env_id)
    env = Corridor(**kwargs)
    limit = max_episode_steps if max_episode_steps is not None else _specs[env_id].max_episode_steps
    return TimeLimit(env, limit)
