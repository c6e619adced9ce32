package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"ppo/configs"
	"ppo/env"
	"ppo/env/external"
)

const envsUsage = `usage: ppo envs [--json] [ID...]
       ppo envs [--json] --external 'PROGRAM [ARG...]'

List the registered environments (or only the given ids) with their observation
and action spaces, time limit (max episode steps), reward threshold and the
parameters settable by name, with defaults. Spaces are those of the defaults.

  --external CMD  list the environment the program CMD serves over a pipe (split
           at spaces), as env.id external with env.external.command would use it
  --json   print a JSON array of objects with "id", "doc", "observation_space",
           "action_space", "max_episode_steps" (null: none), "reward_threshold"
           (null: none), "params" ([{"name", "default", "doc"}]) and, if any,
           "text_params" (the same with string defaults). A space is
           {"type": "Discrete", "n", "dim"}, {"type": "MultiDiscrete", "nvec",
           "dim"}, {"type": "Tuple", "dim", "spaces"} or {"type": "Box", "dim",
           "low", "high"}; infinite bounds are the strings "+Inf" and "-Inf".
`

// envsInfo is one environment as ppo envs reports it.
type envsInfo struct {
	ID              string          `json:"id"`
	Doc             string          `json:"doc"`
	ObservationSpec envsSpace       `json:"observation_space"`
	ActionSpec      envsSpace       `json:"action_space"`
	MaxEpisodeSteps *int            `json:"max_episode_steps"`
	RewardThreshold *jsonFloat      `json:"reward_threshold"`
	Params          []envsParam     `json:"params"`
	TextParams      []envsTextParam `json:"text_params,omitempty"`
	obs, act        env.Space       // for the text form
	spec            env.Spec
}

type envsSpace struct {
	Type   string      `json:"type"`
	N      *int        `json:"n,omitempty"`
	Nvec   []int       `json:"nvec,omitempty"`
	Spaces []envsSpace `json:"spaces,omitempty"`
	Dim    int         `json:"dim"`
	Low    []jsonFloat `json:"low,omitempty"`
	High   []jsonFloat `json:"high,omitempty"`
}

type envsParam struct {
	Name    string    `json:"name"`
	Default jsonFloat `json:"default"`
	Doc     string    `json:"doc"`
}

type envsTextParam struct {
	Name    string `json:"name"`
	Default string `json:"default"`
	Doc     string `json:"doc"`
}

func envsSpaceOf(s env.Space) envsSpace {
	switch s := s.(type) {
	case env.Discrete:
		n := s.N
		return envsSpace{Type: "Discrete", N: &n, Dim: 1}
	case env.MultiDiscrete:
		return envsSpace{Type: "MultiDiscrete", Nvec: s.Nvec, Dim: s.Dim()}
	case env.Tuple:
		out := envsSpace{Type: "Tuple", Dim: s.Dim()}
		for _, c := range s.Spaces {
			out.Spaces = append(out.Spaces, envsSpaceOf(c))
		}
		return out
	case env.Box:
		out := envsSpace{Type: "Box", Dim: s.Dim()}
		for i := range s.Low {
			out.Low = append(out.Low, jsonFloat(s.Low[i]))
			out.High = append(out.High, jsonFloat(s.High[i]))
		}
		return out
	}
	return envsSpace{Type: s.String(), Dim: s.Dim()}
}

// cmdEnvs implements 'ppo envs'.
func cmdEnvs(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ppo envs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print JSON")
	ext := fs.String("external", "", "program serving an environment")
	var ids []string
	for { // flags may come before or after ids
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, envsUsage)
				return 0
			}
			fmt.Fprintf(stderr, "ppo envs: %v (run 'ppo envs -h')\n", err)
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		ids = append(ids, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(ids) == 0 && *ext == "" {
		ids = env.IDs()
	}
	if isSet(fs, "external") && strings.TrimSpace(*ext) == "" {
		fmt.Fprintln(stderr, "ppo envs: --external needs the program to run, e.g. --external 'python3 my_env.py'")
		return 2
	}
	specs := make([]env.Spec, 0, len(ids)+1)
	for _, id := range ids {
		spec, ok := env.Lookup(id)
		if !ok {
			fmt.Fprintf(stderr, "ppo envs: unknown environment %q (registered: %s)\n", id, strings.Join(env.IDs(), ", "))
			return 2
		}
		specs = append(specs, spec)
	}
	if *ext != "" {
		spec, err := external.Spec(external.Command{Argv: strings.Fields(*ext)})
		if err != nil {
			fmt.Fprintf(stderr, "ppo envs: %v\n", err)
			return 2
		}
		ids = append(ids, configs.ExternalEnv)
		specs = append(specs, spec)
	}
	infos := make([]envsInfo, 0, len(ids))
	for k, id := range ids {
		spec := specs[k]
		e, err := spec.Make()
		if err != nil {
			fmt.Fprintf(stderr, "ppo envs: %v\n", err)
			return 1
		}
		if c, ok := e.(io.Closer); ok {
			c.Close()
		}
		info := envsInfo{
			ID: id, Doc: spec.Doc, obs: e.ObservationSpace(), act: e.ActionSpace(), spec: spec,
			ObservationSpec: envsSpaceOf(e.ObservationSpace()), ActionSpec: envsSpaceOf(e.ActionSpace()),
			Params: []envsParam{},
		}
		if spec.MaxEpisodeSteps > 0 {
			n := spec.MaxEpisodeSteps
			info.MaxEpisodeSteps = &n
		}
		if spec.HasRewardThreshold {
			r := jsonFloat(spec.RewardThreshold)
			info.RewardThreshold = &r
		}
		for _, p := range spec.Params {
			info.Params = append(info.Params, envsParam{Name: p.Name, Default: jsonFloat(p.Default), Doc: p.Doc})
		}
		for _, p := range spec.TextParams {
			info.TextParams = append(info.TextParams, envsTextParam{Name: p.Name, Default: p.Default, Doc: p.Doc})
		}
		infos = append(infos, info)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(infos); err != nil {
			fmt.Fprintf(stderr, "ppo envs: %v\n", err)
			return 1
		}
		return 0
	}
	for i, info := range infos {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		envsText(stdout, info)
	}
	return 0
}

func envsText(w io.Writer, info envsInfo) {
	limit, threshold := "none", "none"
	if info.spec.MaxEpisodeSteps > 0 {
		limit = strconv.Itoa(info.spec.MaxEpisodeSteps) + " steps"
	}
	if info.spec.HasRewardThreshold {
		threshold = strconv.FormatFloat(info.spec.RewardThreshold, 'g', -1, 64)
	}
	fmt.Fprintf(w, "%s\n", info.ID)
	if info.Doc != "" {
		fmt.Fprintf(w, "  %s\n", info.Doc)
	}
	fmt.Fprintf(w, "  observation  %v\n", info.obs)
	fmt.Fprintf(w, "  action       %v\n", info.act)
	fmt.Fprintf(w, "  time limit   %s\n", limit)
	fmt.Fprintf(w, "  solved at    %s\n", threshold)
	if len(info.spec.Params)+len(info.spec.TextParams) == 0 {
		fmt.Fprintf(w, "  parameters   none\n")
		return
	}
	fmt.Fprintf(w, "  parameters\n")
	type row struct{ name, value, doc string }
	var rows []row
	for _, p := range info.spec.Params {
		rows = append(rows, row{p.Name, strconv.FormatFloat(p.Default, 'g', -1, 64), p.Doc})
	}
	for _, p := range info.spec.TextParams {
		rows = append(rows, row{p.Name, strconv.Quote(p.Default), p.Doc})
	}
	nameWidth, valueWidth := 0, 0
	for _, r := range rows {
		nameWidth = max(nameWidth, len(r.name))
		valueWidth = max(valueWidth, len(r.value))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "    %-*s = %-*s  %s\n", nameWidth, r.name, valueWidth, r.value, r.doc)
	}
}
