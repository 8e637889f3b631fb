# cpcall's additions to jaq's standard library: what jq 1.6+ has and everyday reports use.
# Each follows jq's manual; the table test in tests/it/reports.rs runs them beside the system jq.

# @csv and @tsv: an array to one line of CSV (strings quoted, "" for a quote) or TSV
# (\t \n \r \\ escaped); null is an empty field, objects and arrays are errors.
def @csv:
  if type != "array" then error("\(type) (\(tojson)) cannot be csv-formatted, only an array can be") end
  | map(
      if type == "string" then "\"" + gsub("\""; "\"\"") + "\""
      elif type == "number" or type == "boolean" then tojson
      elif . == null then ""
      else error("\(type) (\(tojson)) is not valid in a csv row") end)
  | join(",");
def @tsv:
  if type != "array" then error("\(type) (\(tojson)) cannot be tsv-formatted, only an array can be") end
  | map(
      if type == "string" then gsub("\\\\"; "\\\\") | gsub("\t"; "\\t") | gsub("\n"; "\\n") | gsub("\r"; "\\r")
      elif type == "number" or type == "boolean" then tojson
      elif . == null then ""
      else error("\(type) (\(tojson)) is not valid in a tsv row") end)
  | join("\t");

# setpath as jq has it: missing objects and arrays along the path are made (jaq's own refuses
# null there, and indexes past an array's end).
def setpath($p; $v):
  if ($p | length) == 0 then $v
  else $p[0] as $k
    | (if . == null then (if ($k | type) == "number" then [] else {} end) end)
    | (if ($k | type) == "number" and length <= $k then . + [range(length; $k + 1) | null] end)
    | .[$k] |= setpath($p[1:]; $v)
  end;

# Streams of [path, leaf] events, and back.
def tostream: path(def r: (.[]? | r), .; r) as $p | getpath($p) | reduce path(.[]?) as $q ([$p, .]; [$p + $q]);
def fromstream(f): { x: null, e: false } as $init
  | foreach f as $i ($init;
      if .e then $init end
      | if $i | length == 2
        then setpath(["e"]; $i[0] | length == 0) | setpath(["x"] + $i[0]; $i[1])
        else setpath(["e"]; $i[0] | length == 1) end;
      if .e then .x else empty end);
def truncate_stream(stream): . as $n | null | stream | . as $input | if (.[0] | length) > $n then setpath([0]; .[0][$n:]) else empty end;

def leaf_paths: paths(scalars);

# As jq 1.6: null joins as nothing, numbers and booleans as their text.
def join($x): reduce .[] as $i (null; (if . == null then "" else . + $x end) + ($i | if . == null then "" elif type == "string" then . else tojson end)) // "";

# As jq: what is not a string passes through unchanged.
def ltrimstr($x): if type == "string" and ($x | type) == "string" and startswith($x) then .[($x | length):] else . end;
def rtrimstr($x): if type == "string" and ($x | type) == "string" and endswith($x) and ($x | length) > 0 then .[:length - ($x | length)] else . end;

# As jq: unpadded base64 decodes too.
def @base64d: tostring | . + ([range((4 - length % 4) % 4)] | map("=") | join("")) | decode_base64;

# jq 1.6's SQL-style helpers.
def IN(s): any(s == .; .);
def IN(src; s): any(src == s; .);
def INDEX(stream; idx_expr): reduce stream as $row ({}; .[$row | idx_expr | tostring] |= $row);
def INDEX(idx_expr): INDEX(.[]; idx_expr);

# ["DEBUG:", value] on stderr, the value passed on.
def debug: (["DEBUG:", .] | stderr_empty), .;

# The environment as jq has it, less the variables that hold a credential cpcall knows.
def env: $ENV;

# One answer is the only input: `input` has none left, `inputs` is empty.
def input: error("no more inputs: --jq reads one answer (use . for it)");
def inputs: empty;
def input_filename: null;
