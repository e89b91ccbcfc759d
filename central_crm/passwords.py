"""The one password rule of the central CRM.

Every way a password is set goes through :func:`check_password`: the API's
``POST /admin/users`` and ``POST /admin/users/{username}/password``, the command
line's ``create-user`` and ``set-password``, and the demo book's logins (whose
printed ``demo-password`` passes the rule). A refused password is an ApiError 422
``weak_password`` whose message names the rule it broke, in Chinese first.

The rule (NIST SP 800-63B in spirit, plus a class rule a bank's review expects):

* at least :data:`MIN_LENGTH` characters, at most :data:`MAX_LENGTH`;
* not whitespace only, and no leading or trailing whitespace (a copy-paste slip
  the RM would not see);
* not equal to the user name, nor containing it (names of 3 characters or more),
  case-insensitive;
* not a common password, also once digits and symbols are taken off its ends
  ("Password2024!" is "password");
* at least two kinds of character among lower-case letters, upper-case letters,
  digits and others (punctuation, Chinese characters, …).
"""

from __future__ import annotations

from central_crm.errors import ApiError

MIN_LENGTH = 10
MAX_LENGTH = 256

# Passwords every cracker tries first (the top of public leak lists and the local
# favourites of Chinese users), lower-case; compared with the password and with its
# letters once digits and symbols are cut off both ends.
_COMMON = """
    password passw0rd p@ssword p@ssw0rd pass passwd password1 password123 admin
    administrator admin123 root toor qwerty qwertyuiop qwerty123 qwe123 asdf asdfgh
    asdfghjkl zxcvbn zxcvbnm 1q2w3e4r 1q2w3e4r5t 1qaz2wsx 1qaz2wsx3edc qazwsx
    qazwsxedc abc abc123 abcd1234 abcdef abcdefg abcdefgh abcdefghij letmein
    welcome welcome1 welcome123 iloveyou monkey dragon master sunshine princess
    football baseball superman batman trustno1 shadow michael jordan hello
    hello123 freedom whatever changeme changeit default secret secret123 test
    test123 testing guest user login access ninja mustang starwars computer
    internet server database system manager bank banking china beijing shanghai
    woaini woaini1314 wo5201314 aini1314 5201314 520520 1314520 iloveyou1314
    huang zhang wang chen liu yang zhao qwer1234 asdf1234 zxcv1234 aaaaaa
    aaaaaaaaaa 000000 0000000000 111111 1111111111 112233 121212 123123 123123123
    123321 1234 12345 123456 1234567 12345678 123456789 1234567890 0123456789
    987654321 9876543210 654321 666666 666888 888888 8888888888 999999 147258369
    159357 123654 123qwe 123abc qwe qweasd qweasdzxc password! p4ssw0rd
"""
COMMON_PASSWORDS: frozenset[str] = frozenset(_COMMON.split())

_CLASSES = (
    ("小写字母", str.islower),
    ("大写字母", str.isupper),
    ("数字", str.isdigit),
)


def _refuse(rule_zh: str, rule_en: str) -> ApiError:
    return ApiError(
        422,
        "weak_password",
        f"密码不符合要求：{rule_zh}。 / The password breaks the password rule: {rule_en}.",
    )


def _classes(password: str) -> int:
    kinds = set()
    for char in password:
        for name, test in _CLASSES:
            if test(char):
                kinds.add(name)
                break
        else:
            kinds.add("其他")
    return len(kinds)


def _core(password: str) -> str:
    """The password lower-cased, with digits, punctuation and spaces cut off both
    ends ("Password2024!" → "password"); the password itself when nothing is left."""
    core = password.lower().strip("0123456789 !@#$%^&*()-_=+.,;:?/\\|~`'\"[]{}<>")
    return core or password.lower()


def password_problem(password: str, username: str = "") -> ApiError | None:
    """The rule ``password`` breaks for ``username`` as an ApiError, or None."""
    if not password.strip():
        return _refuse("不能全是空格", "it must not be only whitespace")
    if password != password.strip():
        return _refuse("开头和结尾不能有空格", "no leading or trailing whitespace")
    if len(password) < MIN_LENGTH:
        return _refuse(
            f"至少 {MIN_LENGTH} 个字符", f"at least {MIN_LENGTH} characters, not {len(password)}"
        )
    if len(password) > MAX_LENGTH:
        return _refuse(f"最多 {MAX_LENGTH} 个字符", f"at most {MAX_LENGTH} characters")
    lowered = password.lower()
    name = username.strip().lower()
    if name and (lowered == name or (len(name) >= 3 and name in lowered)):
        return _refuse("不能包含用户名", "it must not contain the user name")
    if lowered in COMMON_PASSWORDS or _core(password) in COMMON_PASSWORDS:
        return _refuse(
            "不能使用常见密码（如 password、12345678、qwerty 加数字）",
            "it must not be a common password (password, 12345678, qwerty plus digits, …)",
        )
    if _classes(password) < 2:
        return _refuse(
            "至少包含两类字符（小写字母、大写字母、数字、其他符号或汉字）",
            "at least two kinds of character (lower case, upper case, digits, others)",
        )
    return None


def check_password(password: str, username: str = "") -> None:
    """Raise ApiError 422 ``weak_password`` naming the rule ``password`` breaks."""
    problem = password_problem(password, username)
    if problem is not None:
        raise problem
