apt update
apt upgrade -y
journalctl -u ssh --since today
visudo -f /etc/sudoers.d/90-alice
