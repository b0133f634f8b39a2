#padded
#padded
