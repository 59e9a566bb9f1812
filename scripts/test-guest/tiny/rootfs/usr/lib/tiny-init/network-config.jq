# The NoCloud network-config (version 2) as the tiny guest applies it, from
# fy-tool's JSON: one tab-separated line per ethernet matched by MAC address:
#   <mac> <address/prefix> <gateway, or - for none> <nameservers, space-separated>
# Only the first address and the default route are used; DHCP entries and
# anything else are ignored (the interface then gets DHCP as without a config).
def default_gateway: [(.routes // [])[] | select(.to == "0.0.0.0/0" or .to == "default") | .via][0] // .gateway4 // "-";

objects
| select(.version == 2 or .version == "2")
| (.ethernets // {}) | to_entries[] | .value
| select((.match.macaddress | type) == "string" and ((.addresses // []) | length) > 0)
| [(.match.macaddress | ascii_downcase), .addresses[0], default_gateway, ((.nameservers.addresses // []) | join(" "))]
| @tsv
