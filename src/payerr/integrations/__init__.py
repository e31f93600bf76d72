"""Integrations with providers' own SDKs, each behind an optional extra.

- :mod:`payerr.integrations.antom_sdk`: Antom's official SDK (``global-open-sdk-python``) sending
  through payerr's transport: ``pip install 'payerr[antom]'``.

Nothing here is imported by ``import payerr``; import the integration you use by its name.
"""
