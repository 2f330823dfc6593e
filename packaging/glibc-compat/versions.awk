# objdump -T output -> "VERSION NAME KIND" for each GLIBC_-versioned symbol, VERSION without
# the GLIBC_ prefix and the parentheses of a non-default version, KIND function or variable.
NF > 3 && $(NF-1) ~ /^\(?GLIBC_[0-9.]+\)?$/ {
  v = $(NF-1); gsub(/[()]|GLIBC_/, "", v)
  print v, $NF, ($0 ~ / DO /) ? "variable" : "function"
}
