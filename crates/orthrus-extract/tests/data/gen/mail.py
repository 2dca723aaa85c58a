"""Helpers that build RFC 5322 messages (CRLF, encoded headers, base64 and
quoted-printable bodies in any charset) for the extraction corpus."""

import base64
import json
import quopri
import zlib
from email.header import Header

_counter = [0]


def enc_header(value, charset):
    if all(ord(c) < 128 for c in value):
        return value
    return Header(value, charset).encode()


def enc_body(text, charset, cte):
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode(charset)
    if cte == "base64":
        b = base64.b64encode(data).decode("ascii")
        return "\r\n".join(b[i:i + 76] for i in range(0, len(b), 76))
    if cte == "quoted-printable":
        return quopri.encodestring(data).decode("ascii").replace("\r\n", "\n").replace("\n", "\r\n")
    # 7bit / 8bit: the JSON corpus carries text, so only UTF-8 or ASCII here.
    if charset.lower() == "iso-2022-jp":
        return data.decode("ascii")  # a 7-bit encoding: escape sequences only
    assert charset.lower() in ("utf-8", "us-ascii"), charset
    return data.decode(charset)


def part_headers(ctype, charset, cte):
    return f"Content-Type: {ctype}; charset=\"{charset}\"\r\nContent-Transfer-Encoding: {cte}\r\n"


def email(frm, subject, text=None, html=None, charset="utf-8", cte=None, html_cte=None,
          name=None, to="team@in.example.test", date="Fri, 20 Nov 2026 09:31:00 +0000",
          attach_rfc822=None, extra_headers=""):
    """Builds a message; both text and html give multipart/alternative."""
    _counter[0] += 1
    domain = frm.split("@")[1]
    msgid = f"<{_counter[0]:04d}.{zlib.crc32(subject.encode()) % 10**9}@{domain}>"
    frm_h = f"{enc_header(name, charset)} <{frm}>" if name else frm
    head = (f"From: {frm_h}\r\nTo: {to}\r\nSubject: {enc_header(subject, charset)}\r\n"
            f"Date: {date}\r\nMessage-ID: {msgid}\r\nMIME-Version: 1.0\r\n{extra_headers}")
    default_cte = "7bit" if charset == "us-ascii" else "quoted-printable"
    if attach_rfc822 is not None:
        b = "=_fwd_boundary_1"
        body = (f"Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\n"
                + part_headers("text/plain", charset, cte or default_cte) + "\r\n"
                + enc_body(text or "", charset, cte or default_cte) + f"\r\n--{b}\r\n"
                + "Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n"
                + attach_rfc822 + f"\r\n--{b}--\r\n")
        return head + body
    if text is not None and html is not None:
        b = "=_alt_boundary_7f3a"
        return (head + f"Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n"
                + f"--{b}\r\n" + part_headers("text/plain", charset, cte or default_cte) + "\r\n"
                + enc_body(text, charset, cte or default_cte) + f"\r\n--{b}\r\n"
                + part_headers("text/html", charset, html_cte or cte or default_cte) + "\r\n"
                + enc_body(html, charset, html_cte or cte or default_cte) + f"\r\n--{b}--\r\n")
    if html is not None:
        c = html_cte or cte or default_cte
        return head + part_headers("text/html", charset, c) + "\r\n" + enc_body(html, charset, c) + "\r\n"
    c = cte or default_cte
    return head + part_headers("text/plain", charset, c) + "\r\n" + enc_body(text or "", charset, c) + "\r\n"


def page(inner, brand, footer="", preheader="", lang="en", dir_="ltr", logo_href=None):
    """A table-based HTML email layout like most senders use."""
    logo_href = logo_href or f"https://www.{brand.lower().replace(' ', '')}.com/"
    pre = (f'<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">{preheader}'
           '&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;</div>') if preheader else ""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html lang="{lang}" dir="{dir_}"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{brand}</title>
<style type="text/css">body{{margin:0;padding:0}} .btn a{{color:#fff;text-decoration:none}} @media (max-width:600px){{.c{{width:100%!important}}}}</style>
<!--[if mso]><style>table{{border-collapse:collapse}}</style><![endif]--></head>
<body style="margin:0;padding:0;background:#f4f4f4">{pre}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f4f4f4"><tr><td align="center">
<table role="presentation" class="c" width="600" cellpadding="0" cellspacing="0" style="background:#ffffff">
<tr><td style="padding:24px"><a href="{logo_href}"><img src="https://static.{brand.lower().replace(' ', '')}.com/email/logo.png" width="120" height="32" alt="{brand}" style="display:block;border:0"></a></td></tr>
<tr><td style="padding:0 24px 24px;font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:24px;color:#262626">
{inner}
</td></tr>
<tr><td style="padding:16px 24px;font-family:Helvetica,Arial,sans-serif;font-size:12px;color:#8e8e8e;border-top:1px solid #eeeeee">{footer}</td></tr>
</table></td></tr></table>
<img src="https://t.{brand.lower().replace(' ', '')}.com/open/o.gif?e=8f2a91c0d3&amp;u=77120394" width="1" height="1" alt="" style="display:none">
</body></html>"""


def button(href, label, color="#0095f6"):
    return (f'<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>'
            f'<td class="btn" align="center" bgcolor="{color}" style="border-radius:6px;padding:12px 24px">'
            f'<a href="{href}" target="_blank" style="color:#ffffff;font-weight:bold;text-decoration:none">{label}</a>'
            f'</td></tr></table>')


def code_box(code):
    return (f'<table role="presentation" cellpadding="0" cellspacing="0" style="margin:16px 0"><tr>'
            f'<td style="background:#f0f2f5;border-radius:8px;padding:16px 32px;font-size:32px;'
            f'letter-spacing:6px;font-weight:bold;font-family:Courier,monospace">{code}</td></tr></table>')


def digit_cells(code):
    cells = "".join(f'<td style="border:1px solid #ddd;width:40px;height:48px;text-align:center;'
                    f'font-size:28px;font-weight:bold">{d}</td>\n' for d in code)
    return f'<table role="presentation" cellspacing="6" style="margin:16px 0"><tr>\n{cells}</tr></table>'


def sms(cid, lang, frm, body, code, link=None):
    expect = {"code": code}
    if link:
        expect["confirm_link"] = link
    return {"id": cid, "lang": lang, "channel": "sms", "from": frm, "body": body, "expect": expect}


def mail(cid, lang, raw, code, link=None):
    expect = {"code": code}
    if link:
        expect["confirm_link"] = link
    return {"id": cid, "lang": lang, "channel": "email", "raw": raw, "expect": expect}


def write(path, cases):
    ids = set()
    with open(path, "w", encoding="utf-8") as f:
        for c in cases:
            assert c["id"] not in ids, c["id"]
            ids.add(c["id"])
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {path}")
