//go:build !linux

package events

// Event publishers exist on Linux only; elsewhere a Manager starts nothing
// and its tables stay empty.
const eventsSupported = false

func (m *Manager) newPublishers() []publisher { return nil }

func (m *Manager) publisherNames() []string { return nil }
