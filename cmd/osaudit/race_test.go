//go:build race

package main

// raceEnabled: the race detector slows the million-row test down tenfold.
const raceEnabled = true
