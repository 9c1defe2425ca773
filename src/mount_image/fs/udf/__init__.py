"""UDF reader (ECMA-167 / OSTA UDF 1.02-2.60)."""
