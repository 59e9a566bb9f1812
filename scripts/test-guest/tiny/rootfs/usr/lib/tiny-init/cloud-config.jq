# The few cloud-config keys the tiny guest honours, from the user-data as JSON
# (fy-tool's output), as tab-separated lines for tiny-cloud-init:
#   hostname|fqdn <value>
#   disable_root|preserve_hostname true|false
#   final_message <text>         (printed on the console when the boot is done)
#   users                        (a users: key is present)
#   user <name>|default          (one users: entry)
#   key <user, or empty for the top-level keys> <ssh public key>
# Everything else (runcmd, write_files, packages, passwords, sudo) is ignored.

# YAML 1.1 booleans, as cloud-init's PyYAML reads them ("no" is false).
def flag: if type == "boolean" then .
  elif type == "string" then IN("true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON")
  else false end;
# A list given as a list, as one string, or not at all.
def keys_list: if . == null then [] elif type == "array" then . else [.] end | .[] | strings;
# users: a list of names and entries, or one comma-separated string.
def users_list: if type == "string" then split(",") | map(gsub("^\\s+|\\s+$"; "")) elif type == "array" then . else [] end | .[];

objects
| ( ["hostname", "fqdn"][] as $k | select(.[$k] != null) | [$k, (.[$k] | tostring)] ),
  ( select(.final_message | type == "string") | ["final_message", .final_message] ),
  ( ["disable_root", "preserve_hostname"][] as $k | select(has($k)) | [$k, (.[$k] | flag | tostring)] ),
  ( .ssh_authorized_keys | keys_list | ["key", "", .] ),
  ( select(has("users")) | ["users"],
    ( .users | users_list
      | if . == "default" then ["user", "default"]
        elif type == "string" then ["user", .]
        elif type == "object" and (.name | type) == "string" then
          .name as $name | ["user", $name], ((.ssh_authorized_keys // .["ssh-authorized-keys"]) | keys_list | ["key", $name, .])
        else empty end ) )
| @tsv
