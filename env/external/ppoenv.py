"""Serve reinforcement-learning environments to ppo over a pipe (protocol version 1).

One file, standard library only (numpy is used when an environment returns numpy arrays, and by
Gymnasium). Copy it next to your environment and run, from ppo:

    env.id: external
    env.external.command: [python3, my_env.py]

where my_env.py defines an environment class and ends with ``ppoenv.serve(MyEnv)``. A class has:

    id = "MyEnv-v0"                  # names it in messages and listings
    doc = "one line"                 # optional
    max_episode_steps = 500          # optional time limit (ppo enforces it; 0 means none)
    reward_threshold = 475.0         # optional
    params = {"length": (0.5, "half the pole's length")}    # optional numeric parameters
    text_params = {"map": ("SFFG", "the map")}              # optional text parameters

    def __init__(self, seed, params, text_params): ...      # seed: int; params: name -> value
    observation_space = Box(low, high) | Discrete(n) | MultiDiscrete(nvec) | Tuple([Discrete...])
    action_space = Box(low, high) | Discrete(n) | MultiDiscrete(nvec)
    def reset(self): return obs
    def step(self, action): return obs, reward, terminated, truncated
    def action_mask(self): return [bool] * n                 # optional: allowed actions (Discrete only)
    def get_state(self): return picklable                    # optional: with set_state, exact resume
    def set_state(self, state): ...

An observation is a sequence of floats (Box), an int (Discrete) or a sequence of ints; an action
arrives as a float list (Box), an int (Discrete) or an int list (MultiDiscrete).

    python3 ppoenv.py gym:CartPole-v1     serves a Gymnasium environment by id
    python3 ppoenv.py module:Class        serves Class from module (importable from the cwd), written
                                          to the interface above or to Gymnasium's (see serve_class)

The protocol is described in ppo's docs/extending.md ("The protocol"); this file is its reference.
"""

import os
import pickle
import struct
import sys

VERSION = 1
MAGIC = b"ppoenv"

BOX, DISCRETE, MULTI_DISCRETE, TUPLE = 1, 2, 3, 4
TERMINATED, TRUNCATED = 1, 2


class Box:
    def __init__(self, low, high):
        self.low, self.high = [float(x) for x in low], [float(x) for x in high]
        self.dim = len(self.low)


class Discrete:
    def __init__(self, n):
        self.n, self.dim = int(n), 1


class MultiDiscrete:
    def __init__(self, nvec):
        self.nvec = [int(n) for n in nvec]
        self.dim = len(self.nvec)


class Tuple:
    def __init__(self, spaces):
        self.spaces = list(spaces)
        self.dim = sum(s.dim for s in self.spaces)


def _u32(n):
    return struct.pack("<I", n)


def _str(s):
    b = s.encode()
    return _u32(len(b)) + b


def _space(s):
    if isinstance(s, Box):
        return bytes([BOX]) + _u32(s.dim) + struct.pack("<%dd" % s.dim, *s.low) + struct.pack("<%dd" % s.dim, *s.high)
    if isinstance(s, Discrete):
        return bytes([DISCRETE]) + _u32(s.n)
    if isinstance(s, MultiDiscrete):
        return bytes([MULTI_DISCRETE]) + _u32(s.dim) + b"".join(_u32(n) for n in s.nvec)
    if isinstance(s, Tuple):
        return bytes([TUPLE]) + _u32(len(s.spaces)) + b"".join(_space(c) for c in s.spaces)
    raise TypeError("unsupported space %r" % (s,))


def _flattener(s):
    """Returns a function turning an observation of s into a list of floats."""
    if isinstance(s, Discrete):
        return lambda o: (int(o),)
    if isinstance(s, Tuple):
        return lambda o: tuple(int(x) for x in o)
    return lambda o: o.tolist() if hasattr(o, "tolist") else o


def _checked(flat, dim):
    """Returns flat, refusing an observation that does not have dim values."""
    def f(o):
        v = flat(o)
        if len(v) != dim:
            raise ValueError("the environment returned an observation of %d values; its observation_space has %d"
                             % (len(v), dim))
        return v
    return f


def _action(s):
    """Returns a function turning the floats of one action into the env's action."""
    if isinstance(s, Discrete):
        return lambda a: int(a[0])
    if isinstance(s, MultiDiscrete):
        return lambda a: [int(x) for x in a]
    return list


class _Pipe:
    """Length-prefixed messages on the process's real stdin and stdout."""

    def __init__(self):
        self.r = os.fdopen(os.dup(0), "rb", buffering=1 << 16)
        self.w = os.fdopen(os.dup(1), "wb", buffering=0)
        # print() in an environment must not corrupt the protocol: stdout now goes to stderr.
        os.dup2(2, 1)
        sys.stdout = sys.stderr

    def recv(self):
        h = self.r.read(4)
        if len(h) < 4:
            sys.exit(0)  # ppo is gone
        (n,) = struct.unpack("<I", h)
        body = self.r.read(n)
        if len(body) < n:
            sys.exit(0)
        return body

    def send(self, body):
        self.w.write(struct.pack("<I", len(body)) + body)


def _hello(cls, can_save):
    params = getattr(cls, "params", {}) or {}
    text = getattr(cls, "text_params", {}) or {}
    th = getattr(cls, "reward_threshold", None)
    out = [b"H", MAGIC, struct.pack("<H", VERSION), _str(getattr(cls, "id", cls.__name__)),
           _str(getattr(cls, "doc", "") or ""), _u32(int(getattr(cls, "max_episode_steps", 0) or 0)),
           struct.pack("<Bd", th is not None, float(th or 0)), _u32(len(params))]
    for name, (default, doc) in params.items():
        out += [_str(name), struct.pack("<d", float(default)), _str(doc)]
    out.append(_u32(len(text)))
    for name, (default, doc) in text.items():
        out += [_str(name), _str(default), _str(doc)]
    out.append(bytes([1 if can_save else 0]))
    return b"".join(out)


def serve(make, cls=None):
    """Serves copies of an environment on stdin/stdout until ppo quits; never returns.

    make is the environment class, or a function make(seed, params, text_params, max_episode_steps)
    returning an instance, with cls then the object carrying the class attributes (id, params...).
    """
    cls = cls or make
    if isinstance(make, type):
        klass = make
        make = lambda seed, params, text, limit: klass(seed, params, text)
    if len(sys.argv) == 4 and sys.argv[1] == "--inprocess-bench":
        _bench(make, cls, int(sys.argv[2]), int(sys.argv[3]))
        sys.exit(0)
    can_save = hasattr(cls, "get_state") and hasattr(cls, "set_state")
    pipe = _Pipe()
    pipe.send(_hello(cls, can_save))
    try:
        _loop(pipe, make, cls)
    except SystemExit:
        raise
    except BaseException as e:  # report, then exit: ppo ends the run with this message
        import traceback
        traceback.print_exc()
        pipe.send(b"E" + _str("%s: %s" % (type(e).__name__, e)))
        sys.exit(1)
    sys.exit(0)


def _loop(pipe, make, cls):
    envs = []
    while True:
        body = pipe.recv()
        kind = body[:1]
        if kind == b"Q":
            return
        if kind == b"I":
            envs, reply = _init(body, make)
            obs_space, act_space = envs[0].observation_space, envs[0].action_space
            n, od, ad = len(envs), obs_space.dim, act_space.dim
            flat, act = _checked(_flattener(obs_space), od), _action(act_space)
            masked = hasattr(envs[0], "action_mask")
            obs_fmt = struct.Struct("<%dd" % (n * od))
            act_fmt = struct.Struct("<%dd" % (n * ad))
            pipe.send(reply + bytes([1 if masked else 0]))
        elif kind == b"R":
            obs = []
            for e in envs:
                obs.extend(flat(e.reset()))
            pipe.send(b"O" + obs_fmt.pack(*obs) + (_masks(envs) if masked else b""))
        elif kind == b"T":
            a = act_fmt.unpack_from(body, 1)
            ends = body[1 + act_fmt.size:]
            rewards, flags, obs, finals = [], bytearray(n), [], []
            for i, e in enumerate(envs):
                o, r, term, trunc = e.step(act(a[i * ad:(i + 1) * ad]))
                rewards.append(float(r))
                o = flat(o)
                if term or trunc or ends[i]:
                    flags[i] = (TERMINATED if term else 0) | (TRUNCATED if trunc else 0)
                    finals.extend(o)
                    o = flat(e.reset())
                obs.extend(o)
            pipe.send(b"P" + struct.pack("<%dd" % n, *rewards) + bytes(flags) + obs_fmt.pack(*obs)
                      + struct.pack("<%dd" % len(finals), *finals) + (_masks(envs) if masked else b""))
        elif kind == b"V":
            pipe.send(b"B" + pickle.dumps([e.get_state() for e in envs]))
        elif kind == b"L":
            for e, s in zip(envs, pickle.loads(body[1:])):
                e.set_state(s)
            pipe.send(b"K" + (_masks(envs) if masked else b""))
        else:
            raise ValueError("unknown message type %r" % kind)


def _bench(make, cls, copies, steps):
    """Prints {"seconds": s}: the time to step copies copies steps times in this process, action
    (k+i) mod 2 for copy i at step k, resetting ended episodes, as ppo's pipe benchmark does."""
    import json
    import time
    params = {k: v[0] for k, v in (getattr(cls, "params", {}) or {}).items()}
    text = {k: v[0] for k, v in (getattr(cls, "text_params", {}) or {}).items()}
    limit = int(getattr(cls, "max_episode_steps", 0) or 0)
    envs = [make(i, params, text, limit) for i in range(copies)]
    act = _action(envs[0].action_space)
    flat = _flattener(envs[0].observation_space)
    for e in envs:
        flat(e.reset())
    t = [0] * copies
    start = time.perf_counter()
    for k in range(steps):
        for i, e in enumerate(envs):
            o, r, term, trunc = e.step(act([float((k + i) % 2)]))
            flat(o)
            t[i] += 1
            if term or trunc or t[i] == limit:
                flat(e.reset())
                t[i] = 0
    print(json.dumps({"seconds": time.perf_counter() - start}))


def _masks(envs):
    return b"".join(bytes(1 if m else 0 for m in e.action_mask()) for e in envs)


def _init(body, make):
    off = 1
    (n,) = struct.unpack_from("<I", body, off)
    off += 4
    seeds = struct.unpack_from("<%dQ" % n, body, off)
    off += 8 * n
    limit, np_ = struct.unpack_from("<II", body, off)
    off += 8
    params = {}
    for _ in range(np_):
        name, off = _read_str(body, off)
        (params[name],) = struct.unpack_from("<d", body, off)
        off += 8
    (nt,) = struct.unpack_from("<I", body, off)
    off += 4
    text = {}
    for _ in range(nt):
        name, off = _read_str(body, off)
        text[name], off = _read_str(body, off)
    envs = [make(s, params, text, limit) for s in seeds]
    return envs, b"S" + _space(envs[0].observation_space) + _space(envs[0].action_space)


def _read_str(body, off):
    (n,) = struct.unpack_from("<I", body, off)
    return body[off + 4:off + 4 + n].decode(), off + 4 + n


# --- Gymnasium ---------------------------------------------------------------------------------

def _from_gym_space(s):
    import gymnasium
    sp = gymnasium.spaces
    if isinstance(s, sp.Discrete):
        if int(getattr(s, "start", 0)) != 0:
            raise TypeError("Discrete spaces must start at 0, have start %d" % s.start)
        return Discrete(s.n)
    if isinstance(s, sp.MultiDiscrete):
        return MultiDiscrete(s.nvec.flatten().tolist())
    if isinstance(s, sp.Box):
        return Box(s.low.flatten().tolist(), s.high.flatten().tolist())
    if isinstance(s, sp.Tuple):
        return Tuple([_from_gym_space(c) for c in s.spaces])
    raise TypeError("unsupported Gymnasium space %r" % (s,))


class _GymEnv:
    """A Gymnasium environment behind the interface serve expects."""

    def __init__(self, env_id, seed, params, text, limit):
        import gymnasium
        try:
            import numpy
        except ImportError:  # Gymnasium needs numpy; a stand-in may not
            numpy = None
        kwargs = dict(params)
        kwargs.update(text)
        self.env = gymnasium.make(env_id, max_episode_steps=limit or None, **kwargs)
        self.observation_space = _from_gym_space(self.env.observation_space)
        self.action_space = _from_gym_space(self.env.action_space)
        self.seed = seed % (1 << 63)
        self.box_action = isinstance(self.action_space, Box)
        self.np = numpy
        self.shape = getattr(self.env.action_space, "shape", None)
        self.dtype = getattr(self.env.action_space, "dtype", None)

    def reset(self):
        if self.seed is not None:
            obs, _ = self.env.reset(seed=self.seed)
            self.seed = None
        else:
            obs, _ = self.env.reset()
        return self._flat(obs)

    def step(self, action):
        if self.np is not None and self.box_action:
            action = self.np.asarray(action, dtype=self.dtype).reshape(self.shape)
        elif self.np is not None and isinstance(action, list):
            action = self.np.asarray(action, dtype=self.dtype)
        obs, r, term, trunc, _ = self.env.step(action)
        return self._flat(obs), float(r), bool(term), bool(trunc)

    def _flat(self, obs):
        if isinstance(obs, tuple) or isinstance(self.observation_space, Discrete) or self.np is None:
            return obs
        return self.np.asarray(obs, dtype=float).flatten()


# --- Gymnasium-style classes, duck-typed ---------------------------------------------------------

def _gym_style(cls):
    """Whether cls is written to Gymnasium's API: reset takes a seed keyword (and returns (obs, info),
    and step returns five values), as gymnasium.Env's subclasses do, with Gymnasium installed or not."""
    import inspect
    reset = getattr(cls, "reset", None)
    if reset is None:
        return False
    try:
        return "seed" in inspect.signature(reset).parameters
    except (TypeError, ValueError):
        return False


def _duck_space(s, what):
    """Reads a Gymnasium-style space from its attributes: Discrete (n, start 0), MultiDiscrete (nvec),
    Box (low, high) and Tuple of those (spaces); others (Dict, Text, Graph, ...) are refused."""
    kind = type(s).__name__
    flat = lambda v: v.flatten().tolist() if hasattr(v, "flatten") else list(v) if hasattr(v, "__iter__") else [v]
    if kind == "Tuple" or (isinstance(getattr(s, "spaces", None), (list, tuple))):
        return Tuple([_duck_space(c, what) for c in s.spaces])
    if hasattr(s, "nvec"):
        return MultiDiscrete([int(n) for n in flat(s.nvec)])
    if hasattr(s, "n") and not hasattr(s, "low"):
        if int(getattr(s, "start", 0)) != 0:
            raise TypeError("%s: Discrete spaces must start at 0, this one starts at %d" % (what, s.start))
        return Discrete(int(s.n))
    if hasattr(s, "low") and hasattr(s, "high"):
        low, high = flat(s.low), flat(s.high)
        shape = getattr(s, "shape", None)
        if shape is not None and len(shape) > 0 and len(low) == 1:  # a scalar bound broadcast to the shape
            size = 1
            for d in shape:
                size *= int(d)
            low, high = low * size, high * size
        return Box(low, high)
    raise TypeError("%s: %s spaces are not supported (Box, Discrete, MultiDiscrete and Tuple of Discrete are)"
                    % (what, kind))


def _flatten(o):
    """An observation as a flat list (numpy arrays, nested lists and tuples)."""
    if hasattr(o, "tolist"):
        o = o.tolist()
    if isinstance(o, (list, tuple)):
        out = []
        for x in o:
            out.extend(_flatten(x) if isinstance(x, (list, tuple)) or hasattr(x, "tolist") else [x])
        return out
    return o


class _DuckGymEnv:
    """A Gymnasium-style class behind the interface serve expects. The instance is made with the
    run's env.params and env.text_params as keyword arguments (render_mode is not passed); the first
    reset seeds it with reset(seed=...); info["action_mask"] gives the masks when present."""

    def __init__(self, cls, seed, params, text, limit):
        kwargs = {k: int(v) if isinstance(_default(cls, k), int) and float(v).is_integer() else v
                  for k, v in params.items()}
        kwargs.update(text)
        self.env = cls(**kwargs)
        self.observation_space = _duck_space(self.env.observation_space, "observation_space")
        self.action_space = _duck_space(self.env.action_space, "action_space")
        self.discrete_obs = isinstance(self.observation_space, (Discrete, Tuple))
        # The first episode starts now, so that its info tells whether masks come with it.
        obs, info = self.env.reset(seed=seed % (1 << 63))
        self.first = obs
        self.mask = None
        if isinstance(info, dict) and "action_mask" in info:
            self.mask = info["action_mask"]
            self.action_mask = lambda: [bool(m) for m in _flatten(self.mask)]

    def _obs(self, o):
        if self.discrete_obs:
            return o if isinstance(self.observation_space, Discrete) else tuple(_flatten(o))
        return [float(x) for x in _flatten(o)]

    def reset(self):
        if self.first is not None:
            o, self.first = self.first, None
            return self._obs(o)
        o, info = self.env.reset()
        self._info(info)
        return self._obs(o)

    def step(self, action):
        o, r, term, trunc, info = self.env.step(action)
        self._info(info)
        return self._obs(o), float(r), bool(term), bool(trunc)

    def _info(self, info):
        if self.mask is not None and isinstance(info, dict) and "action_mask" in info:
            self.mask = info["action_mask"]


def _default(cls, name):
    """The default of cls's constructor argument name, or None."""
    import inspect
    try:
        p = inspect.signature(cls.__init__).parameters.get(name)
    except (TypeError, ValueError):
        return None
    return None if p is None or p.default is p.empty else p.default


def _duck_meta(cls):
    """The hello's attributes of a Gymnasium-style class: id from an id attribute or spec.id, else
    Name-v0 from the class name; the time limit from max_episode_steps or spec.max_episode_steps
    (ppo's env.max_episode_steps, when set, replaces it, as for every env)."""
    spec = getattr(cls, "spec", None)
    env_id = getattr(cls, "id", None) or getattr(spec, "id", None) or ("%s-v0" % cls.__name__)
    limit = getattr(cls, "max_episode_steps", None) or getattr(spec, "max_episode_steps", None) or 0
    doc = getattr(cls, "doc", None) or ((cls.__doc__ or "").strip().split("\n")[0])

    # The constructor's keyword parameters with a number or a string for default are the env's
    # parameters (env.params, env.text_params), passed back as keyword arguments.
    import inspect
    params, text = {}, {}
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        sig = None
    for name, p in (sig.parameters.items() if sig else ()):
        if name in ("self", "render_mode") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if isinstance(p.default, bool) or p.default is p.empty:
            continue
        if isinstance(p.default, (int, float)):
            params[name] = (float(p.default), "constructor argument %s" % name)
        elif isinstance(p.default, str):
            text[name] = (p.default, "constructor argument %s" % name)

    class Meta:
        pass
    Meta.id, Meta.doc, Meta.max_episode_steps = env_id, doc, int(limit)
    Meta.params, Meta.text_params = params, text
    Meta.reward_threshold = getattr(cls, "reward_threshold", None) or getattr(spec, "reward_threshold", None)
    return Meta


def serve_class(cls):
    """Serves cls, written to ppoenv's interface or to Gymnasium's (duck-typed); never returns."""
    if _gym_style(cls):
        serve(lambda seed, params, text, limit: _DuckGymEnv(cls, seed, params, text, limit), _duck_meta(cls))
    serve(cls)


def serve_gymnasium(env_id):
    """Serves the Gymnasium environment registered as env_id; never returns."""
    import gymnasium
    gs = gymnasium.spec(env_id)

    class Meta:
        id = env_id
        doc = "Gymnasium's %s" % env_id
        max_episode_steps = gs.max_episode_steps or 0
        reward_threshold = gs.reward_threshold

    serve(lambda seed, params, text, limit: _GymEnv(env_id, seed, params, text, limit), Meta)


if __name__ == "__main__":
    if len(sys.argv) != 2 or ":" not in sys.argv[1]:
        sys.exit("usage: python3 ppoenv.py gym:ENV_ID | module:Class")
    mod, name = sys.argv[1].split(":", 1)
    if mod == "gym":
        serve_gymnasium(name)
    sys.path.insert(0, os.getcwd())
    import importlib
    serve_class(getattr(importlib.import_module(mod), name))
