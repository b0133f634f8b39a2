package events

// eventsSupported says that this platform has publishers for the tables in
// schemas.
const eventsSupported = true

// publisherNames lists this platform's publishers, sorted, as osquery_events
// shows them.
func (m *Manager) publisherNames() []string {
	return []string{publisherAudit, publisherInotify, publisherUdev}
}

// newPublishers makes the publishers that have an enabled subscriber.
func (m *Manager) newPublishers() []publisher {
	var out []publisher
	if m.anyEnabled(publisherAudit) {
		out = append(out, newAuditPublisher(m))
	}
	if m.enabled(tableFileEvents) {
		out = append(out, newInotifyPublisher(m))
	}
	if m.enabled(tableHardwareEvents) {
		out = append(out, newUdevPublisher(m))
	}
	return out
}
