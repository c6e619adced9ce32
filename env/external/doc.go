// Package external runs environments served by child processes over a binary pipe protocol (env.id external).
//
// A child speaks protocol Version on its stdin and stdout: every message is a little-endian uint32
// length followed by that many bytes, the first of which is the message type. The child sends a
// hello unasked (the environment's id, time limit, reward threshold, parameters and whether it can
// save its state); ppo then initialises it with the number of copies it hosts, their seeds, the
// time limit and the parameter values, and the child answers with the spaces. One step message
// carries the actions of all the copies a child hosts and one reply carries their rewards, flags,
// observations, final observations and action masks: the child resets a copy whose episode ended
// in the same step. docs/extending.md ("The protocol") gives every message byte by byte; ppoenv.py in
// this directory is the reference server in Python.
//
// A child that crashes, hangs past the reply timeout, closes its pipe or sends a malformed or
// oversized message ends the run with one error naming the environment, what happened, the exit
// status and the tail of the child's stderr. Children run in their own process group (a
// terminal's Ctrl-C reaches ppo only, which then stops them) and die with ppo.
package external
