package main

import "context"

// devAgent runs the in-process agent of serve --dev: it enrolls this
// machine with enrollSecret over TLS at serverURL, trusting caCertPath,
// and runs until ctx ends. nil until package agent provides one; the lead
// wires it here, e.g. devAgent = agent.RunDev.
var devAgent func(ctx context.Context, serverURL, caCertPath, enrollSecret string) error
