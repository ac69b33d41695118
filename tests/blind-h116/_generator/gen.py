import sys
import cases_hny, cases_nwl_gm
base = sys.argv[1]
cases_hny.build(base)
cases_nwl_gm.build(base)
