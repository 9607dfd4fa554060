"""`python -m rlm_studio`, and the frozen app's entry point: helpers first (see self_command), then the CLI."""

import sys

from rlm_studio.self_command import dispatch

_helper_exit = dispatch(sys.argv[1:])
if _helper_exit is not None:
    sys.exit(_helper_exit)

if sys.argv[1:2] == ["--smoke-test"]:
    from rlm_studio.ui.smoke_test import main as smoke_test

    sys.exit(smoke_test(sys.argv[2:]))

from rlm_studio.cli.main import main  # noqa: E402  (after the helper dispatch, which must stay light)

sys.exit(main())
