"""conftest.py of the relay failover tests (test/integration/failover/).

They run Ferry in front of the shared Galera lab (g1..g3 of test/lab) and a
throwaway replica of their own (blr_helpers.Mariadbd), and kill Galera nodes
and ferryd itself.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "binlog"))

sys.path.insert(0, os.path.join(os.path.dirname(HERE), "admin"))

import helpers  # noqa: E402

helpers.raise_nofile()
