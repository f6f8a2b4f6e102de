// Sample messages the mime tests share (LF line ends, as tern's Maildir
// files have them; the tests expect CRLF sizes).
#pragma once

namespace tern::mime::test {

inline constexpr const char* plain =
    "From: Alice <alice@example.com>\n"
    "To: bob@example.org, \"Carol, C.\" <carol@example.net>\n"
    "Subject: Hello\n"
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\n"
    "Message-ID: <1@example.com>\n"
    "\n"
    "Hi Bob,\n"
    "line two\n";

// multipart/mixed: an alternative, a PDF with RFC 2231 names and all the
// extension fields, a message/rfc822; a preamble and an epilogue.
inline constexpr const char* mixed =
    "From: =?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@example.be>\n"
    "To: undisclosed-recipients:;\n"
    "Cc: Team: a@example.com, \"B\" <b@example.com>;, c@example.com\n"
    "Subject: =?UTF-8?B?SGVsbG8gd29ybGQ=?=\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "preamble\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=inner\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "plain\n"
    "--inner\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "<p>html</p>\n"
    "--inner--\n"
    "--outer\n"
    "Content-Type: application/pdf; name*=UTF-8''r%C3%A9sum%C3%A9.pdf\n"
    "Content-Disposition: attachment; filename*0*=UTF-8''r%C3%A9; filename*1=sum.pdf\n"
    "Content-Transfer-Encoding: base64\n"
    "Content-ID: <pdf@x>\n"
    "Content-Description: CV\n"
    "Content-Language: en, fr\n"
    "Content-Location: http://example.com/cv.pdf\n"
    "\n"
    "JVBERi0=\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: inner@example.com\n"
    "Subject: inner\n"
    "Content-Type: text/plain\n"
    "\n"
    "inner body\n"
    "--outer--\n"
    "epilogue\n";

}  // namespace tern::mime::test
