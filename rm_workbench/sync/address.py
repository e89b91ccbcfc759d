"""Which central CRM addresses the workbench talks to.

``https://`` anywhere; ``http://`` only on this machine's loopback (``localhost``,
127.0.0.0/8, ``::1``: the ``--demo`` launch and the tests), because over plain HTTP the
password, the token and the customers' data cross the network in clear. Every place a
server address enters (the login dialog, ``rm-workbench sync --server``, the sync
service, the connectivity probe) checks it with :func:`check_server_url` before
anything is sent, and :class:`~rm_workbench.sync.client.SyncClient` checks it again as
the last line of defence.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from rm_workbench.errors import InsecureServerAddress

EXAMPLE = "https://crm.example-bank.cn"


def is_loopback(host: str) -> bool:
    """True for ``localhost``, an address of 127.0.0.0/8 and ``::1`` (also written
    ``[::1]`` or IPv4-mapped); False for every other name, however it resolves."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_server_url(url: str) -> str:
    """``url`` without surrounding blanks and trailing slashes, or
    InsecureServerAddress saying (in Chinese) why the workbench will not use it."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a bad port raises ValueError here
    except ValueError as exc:
        raise InsecureServerAddress(
            f"总行系统地址无效，应形如 {EXAMPLE}。", f"{text!r:.200}: {exc}"
        ) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise InsecureServerAddress(
            f"总行系统地址无效，应以 https:// 开头，形如 {EXAMPLE}。", f"{text!r:.200}"
        )
    if parts.username is not None or parts.password is not None:
        raise InsecureServerAddress(
            "总行系统地址中不能包含用户名或密码，请只填写地址，例如 "
            f"{EXAMPLE}；用户名和密码在登录框中填写。",
            "user info in the server address",
        )
    if parts.query or parts.fragment:
        raise InsecureServerAddress(
            f"总行系统地址中不能包含“?”或“#”之后的部分，应形如 {EXAMPLE}。", f"{text!r:.200}"
        )
    if scheme == "http" and not is_loopback(host):
        raise InsecureServerAddress(
            "总行系统地址必须以 https:// 开头：用 http:// 连接其他电脑时，密码和客户数据"
            "会以明文在网络上传输。只有本机地址（localhost、127.0.0.1）可以使用 http://。"
            "请向技术支持确认总行系统的 https:// 地址。",
            f"plain http to a non-loopback host: {host!r:.200}",
        )
    return text.rstrip("/")
