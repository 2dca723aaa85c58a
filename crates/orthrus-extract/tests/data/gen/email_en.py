"""English email cases."""

from mail import email, mail, page, button, code_box, digit_cells

META_FOOTER = ('<p>This message was sent to <a href="mailto:team@in.example.test">team@in.example.test</a>. '
               'If you don\'t want to receive these emails from Meta in the future, please '
               '<a href="https://www.instagram.com/emails/unsubscribe/?uid=8f2a91&amp;t=c0d3e4">unsubscribe</a>.<br>'
               'Meta Platforms, Inc., Attention: Community Support, 1 Meta Way, Menlo Park, CA 94025</p>'
               '<p><a href="https://help.instagram.com/">Help Center</a> · <a href="https://privacycenter.instagram.com/policy">Privacy Policy</a></p>')
GOOGLE_FOOTER = ('<p>You received this email to let you know about important changes to your Google Account and services.<br>'
                 '© 2026 Google LLC, 1600 Amphitheatre Parkway, Mountain View, CA 94043, USA</p>')
MS_FOOTER = ('<p><a href="https://go.microsoft.com/fwlink/?LinkId=521839">Privacy Statement</a><br>'
             'Microsoft Corporation, One Microsoft Way, Redmond, WA 98052</p>')
AMAZON_FOOTER = ('<p>©2026 Amazon.com, Inc. or its affiliates. Amazon and all related marks are trademarks of Amazon.com, Inc. '
                 'or its affiliates. Amazon.com, Inc., 410 Terry Avenue North, Seattle, WA 98109-5210.</p>'
                 '<p>Reference: 482913012-US</p>')
SOCIAL = ('<p><a href="https://www.facebook.com/acme"><img src="https://static.acme.com/fb.png" alt="Facebook"></a> '
          '<a href="https://twitter.com/acme"><img src="https://static.acme.com/tw.png" alt="Twitter"></a> '
          '<a href="https://www.linkedin.com/company/acme"><img src="https://static.acme.com/li.png" alt="LinkedIn"></a></p>')


def cases():
    out = []
    add = out.append

    html = page(f"""<p>Hi teamacct,</p>
<p>Someone tried to log in to your Instagram account. If this was you, please use the following code to confirm your identity:</p>
{code_box("482913")}
<p>If this wasn't you, please <a href="https://www.instagram.com/accounts/password/reset/?uid=8f2a91&amp;token=c0d3e4f5a6b7">reset your password</a> to secure your account.</p>""",
                "Instagram", META_FOOTER, preheader="Use this code to confirm your identity")
    add(mail("en-mail-instagram-login", "en", email("security@mail.instagram.com", "482913 is your Instagram code", html=html, name="Instagram"), "482913"))

    html = page("""<p>Hi Acme Team,</p><p>We received a request to change the email address on your Instagram account to team@in.example.test.</p>
<p>To confirm this change, click the button below.</p>"""
                + button("https://www.instagram.com/accounts/confirm_email/8Hq2ZkP4Xw/YWNtZXRlYW0=/?app_redirect=False", "Confirm email address")
                + """<p>If you didn't request this change, <a href="https://www.instagram.com/accounts/disavow/8Hq2ZkP4Xw/">let us know</a>.</p>""",
                "Instagram", META_FOOTER)
    add(mail("en-mail-instagram-email-change", "en", email("security@mail.instagram.com", "Confirm your new email address", html=html, name="Instagram"),
             None, "https://www.instagram.com/accounts/confirm_email/8Hq2ZkP4Xw/YWNtZXRlYW0=/?app_redirect=False"))

    text = ("Hi Acme,\n\nWe received a request to reset your Facebook password.\nEnter the following password reset code:\n\n48213927\n\n"
            "Didn't request this change?\nIf you didn't request a new password, let us know.\nhttps://www.facebook.com/login/recover/cancel/?n=48213927&id=100082\n\n"
            "Meta Platforms, Inc., Attention: Community Support, 1 Meta Way, Menlo Park, CA 94025")
    add(mail("en-mail-facebook-reset-code", "en", email("security@facebookmail.com", "48213927 is your Facebook account recovery code", text=text, name="Facebook", cte="quoted-printable"),
             "48213927"))

    html = page("""<p>Hi Acme,</p><p>You recently registered for Facebook. To complete your Facebook registration, please confirm your account.</p>"""
                + button("https://www.facebook.com/confirmemail.php?e=team%40in.example.test&c=48213&z=0&gfid=AQBx8PqR2vKm", "Confirm your account", "#1877f2")
                + '<p>You may be asked to enter this confirmation code: <b>FB-48213</b></p>', "Facebook", META_FOOTER)
    add(mail("en-mail-facebook-confirm", "en", email("registration@facebookmail.com", "48213 is your Facebook confirmation code", html=html, name="Facebook"),
             "48213", "https://www.facebook.com/confirmemail.php?e=team%40in.example.test&c=48213&z=0&gfid=AQBx8PqR2vKm"))

    html = page(f"""<p style="font-size:24px">Verify your email</p><p>Google needs to verify your email address team@in.example.test.</p>
<p>Your verification code is:</p>{code_box("730218")}<p>This code will expire in 10 minutes.</p>""", "Google", GOOGLE_FOOTER)
    add(mail("en-mail-google-verify", "en", email("noreply@accounts.google.com", "Google verification code", html=html, name="Google", html_cte="base64"), "730218"))

    text = ("Please use the following security code for the Microsoft account ri***@example.com.\n\nSecurity code: 4829135\n\n"
            "If you don't recognize the Microsoft account ri***@example.com, you can click https://account.live.com/dp?ft=-DgAWv8rAq to remove your email address from that account.\n\n"
            "Thanks,\nThe Microsoft account team")
    html = page("""<p style="font-size:17px;color:#707070">Microsoft account</p><p style="font-size:41px;color:#2672ec">Your security code</p>
<p>Please use the following security code for the Microsoft account <a href="mailto:ri***@example.com">ri***@example.com</a>.</p>
<p>Security code: <span style="font-weight:bold">4829135</span></p>
<p>If you don't recognize the Microsoft account ri***@example.com, you can <a href="https://account.live.com/dp?ft=-DgAWv8rAq">click here</a> to remove your email address from that account.</p>
<p>Thanks,<br>The Microsoft account team</p>""", "Microsoft", MS_FOOTER)
    add(mail("en-mail-microsoft-code", "en", email("account-security-noreply@accountprotection.microsoft.com", "Microsoft account security code", text=text, html=html, name="Microsoft account team"), "4829135"))

    html = page("""<p>Hello,</p><p>To finish verifying your email address, enter this code:</p>""" + digit_cells("482913")
                + "<p>This code expires in 15 minutes. If you didn't request this, you can ignore this email.</p>", "Microsoft", MS_FOOTER)
    add(mail("en-mail-microsoft-cells", "en", email("account-security-noreply@accountprotection.microsoft.com", "Verify your email address", html=html, name="Microsoft"), "482913"))

    html = page("""<p>Dear Acme Team,</p><p>You are receiving this email because you recently added this address to your Apple Account. Enter this verification code to verify your email address:</p>
<p style="font-size:26px;font-weight:bold">482913</p><p>This code will expire three hours after this email was sent.</p>
<p><b>Why you received this email.</b><br>Apple requires verification whenever an email address is selected as an Apple Account. Your email address cannot be used until you verify it.</p>
<p>Apple Support</p>""", "Apple", '<p><a href="https://www.apple.com/legal/privacy/">Privacy Policy</a> | <a href="https://support.apple.com/">Support</a><br>Apple Inc. One Apple Park Way, Cupertino, CA 95014, United States</p>')
    add(mail("en-mail-apple-verify", "en", email("appleid@id.apple.com", "Verify your Apple Account email address", html=html, name="Apple"), "482913"))

    text = ("Someone who knows your password is attempting to sign-in to your account.\n\n"
            "When: Nov 20, 2026 9:31 AM UTC\nDevice: Chrome, Windows\nNear: Berlin, Germany\n\n"
            "If this was you, your one-time password (OTP) is:\n\n482913\n\nDon't share this OTP with anyone.\n\n"
            "If you don't recognize this activity, change your password immediately at https://www.amazon.com/a/settings/approval\n\n"
            "Amazon.com, 410 Terry Avenue North, Seattle, WA 98109-5210")
    add(mail("en-mail-amazon-otp", "en", email("account-update@amazon.com", "amazon.com: Sign-in attempt", text=text, name="Amazon.com"), "482913"))

    text = ("Hey acme-bot!\n\nA sign in attempt requires further verification because we did not recognize your device. "
            "To complete the sign in, enter the verification code on the unrecognized device.\n\n"
            "Device: Chrome on macOS\nVerification code: 482913\n\n"
            "If you did not attempt to sign in to your account, your password may be compromised. Visit https://github.com/settings/security to create a new, strong password for your GitHub account.\n\n"
            "Thanks,\nThe GitHub Team\n")
    add(mail("en-mail-github-device", "en", email("noreply@github.com", "[GitHub] Please verify your device", text=text, name="GitHub", cte="7bit"), "482913"))

    text = ("Almost done, @acme-bot! To complete your GitHub sign up, we just need to verify your email address: team@in.example.test.\n\n"
            "Verify email address:\nhttps://github.com/users/acme-bot/emails/48291301/confirm_verification/ab12cd34ef56ab78cd90ef12ab34cd56ab78cd90?via_launch_code_email=true\n\n"
            "Once verified, you can start using all of GitHub's features to explore, build, and share projects.\n\n"
            "You're receiving this email because you recently created a new GitHub account or added a new email address. If this wasn't you, please ignore this email.\n\n"
            "GitHub, Inc. ・88 Colin P Kelly Jr Street ・San Francisco, CA 94107")
    add(mail("en-mail-github-verify-email", "en", email("noreply@github.com", "[GitHub] Please verify your email address.", text=text, name="GitHub", cte="7bit"),
             None, "https://github.com/users/acme-bot/emails/48291301/confirm_verification/ab12cd34ef56ab78cd90ef12ab34cd56ab78cd90?via_launch_code_email=true"))

    html = page("""<h1>Confirm your email address</h1><p>Your confirmation code is below — enter it in your open browser window and we'll help you get signed in.</p>
<div style="background:#f5f4f5;padding:24px;font-size:30px;text-align:center">KT7-9QF</div>
<p>If you didn't request this email, there's nothing to worry about — you can safely ignore it.</p>""", "Slack",
                '<p><a href="https://slack.com/intl/en-gb/blog">Our blog</a> | <a href="https://slack.com/policy">Policies</a> | <a href="https://slack.com/help">Help center</a><br>©2026 Slack Technologies, LLC, a Salesforce company. 415 Mission Street, 3rd Floor, San Francisco, CA 94105</p>')
    add(mail("en-mail-slack-code", "en", email("feedback@slack.com", "Slack confirmation code: KT7-9QF", html=html, name="Slack"), "KT79QF"))

    html = page("""<h1>Sign in to Slack</h1><p>Click the button below to sign in to the <b>Acme</b> workspace. This link will expire in 24 hours.</p>"""
                + button("https://acme.slack.com/z-app-48291301-7720193847/magic-login?token=Zx8PqR2vKm4NwT6yLa0s", "Sign in to Slack", "#4a154b")
                + "<p>If you didn't request this email, there's nothing to worry about.</p>", "Slack",
                '<p><a href="https://slack.com/help">Help center</a><br>Slack Technologies, LLC, 415 Mission Street, 3rd Floor, San Francisco, CA 94105</p>')
    add(mail("en-mail-slack-magic", "en", email("feedback@slack.com", "Slack sign-in link for Acme", html=html, name="Slack"),
             None, "https://acme.slack.com/z-app-48291301-7720193847/magic-login?token=Zx8PqR2vKm4NwT6yLa0s"))

    html = page("""<p>Hi Acme,</p><p>Please use this verification code to complete your sign in:</p><p style="font-size:32px"><b>482913</b></p>
<p>If you didn't try to sign in, <a href="https://www.linkedin.com/e/v2?e=3ds-9vk&amp;a=resetPassword">change your password</a> right away.</p>""", "LinkedIn",
                '<p>This email was intended for Acme Team (Social Media Lead). <a href="https://www.linkedin.com/help/linkedin/answer/4788">Learn why we included this.</a><br>© 2026 LinkedIn Corporation, 1000 West Maude Avenue, Sunnyvale, CA 94085.</p>')
    add(mail("en-mail-linkedin-code", "en", email("security-noreply@linkedin.com", "Here's your verification code 482913", html=html, name="LinkedIn"), "482913"))

    html = page(f"""<p>Verification Code</p><p>To verify your account, enter this code in TikTok:</p>{code_box("482913")}
<p>Verification codes expire after 48 hours.</p><p>If you didn't request this code, you can ignore this message.</p>""", "TikTok",
                '<p>This is an automatically generated email. Replies to this email address aren\'t monitored.<br>This email was generated for acme_official.<br>'
                '<a href="https://www.tiktok.com/legal/privacy-policy">Privacy Policy</a><br>TikTok 5800 Bristol Pkwy, Culver City, CA 90230</p>')
    add(mail("en-mail-tiktok-code", "en", email("no-reply@account.tiktok.com", "482913 is your verification code", html=html, name="TikTok"), "482913"))

    text = ("Confirm your email address\n\nThere's one quick step you need to complete before creating your X account. "
            "Let's make sure this is the right email address for you — please confirm this is the right address to use for your new account.\n\n"
            "Please enter this verification code to get started on X:\n\n482913\n\nVerification codes expire after two hours.\n\nThanks,\nX\n\n"
            "X Corp. 1355 Market Street, Suite 900 San Francisco, CA 94103")
    add(mail("en-mail-x-code", "en", email("info@x.com", "482913 is your X verification code", text=text, name="X"), "482913"))

    html = page("""<h2>Hey acmebot,</h2><p>Thanks for registering for an account on Discord! Before we get started, we just need to confirm that this is you. Click below to verify your email address:</p>"""
                + button("https://click.discord.com/ls/click?upn=u001.qS7Xk2Bd-2Fv9Lw4Hn0pZa8Rt5Ye3Ui1Oc6-2FmQ", "Verify Email", "#5865f2")
                + """<p>Need help? <a href="https://support.discord.com/">Contact our support team</a> or hit us up on Twitter <a href="https://twitter.com/discord">@discord</a>.</p>""",
                "Discord", '<p>Sent by Discord • <a href="https://discord.com/blog">check our blog</a> • <a href="https://twitter.com/discord">@discord</a><br>444 De Haro Street, Suite 200, San Francisco, CA 94107</p>')
    add(mail("en-mail-discord-verify", "en", email("noreply@discord.com", "Verify Email Address for Discord", html=html, name="Discord"),
             None, "https://click.discord.com/ls/click?upn=u001.qS7Xk2Bd-2Fv9Lw4Hn0pZa8Rt5Ye3Ui1Oc6-2FmQ"))

    html = page("""<h2>Hey acmebot,</h2><p>Someone tried to log into your Discord account from a new location. If this is you, follow the link below to authorize logging in from this location on your account. If this isn't you, we suggest changing your password as soon as possible.</p>
<p>IP Address: 203.0.113.47<br>Location: Berlin, Germany</p>"""
                + button("https://click.discord.com/ls/click?upn=u001.Lw4Hn0pZa8Rt5-2FAuthorizeIp-2F4829130", "Verify Login", "#5865f2"),
                "Discord", '<p>Sent by Discord • 444 De Haro Street, Suite 200, San Francisco, CA 94107</p>')
    add(mail("en-mail-discord-new-location", "en", email("noreply@discord.com", "Verify Discord Login from New Location", html=html, name="Discord"),
             None, "https://click.discord.com/ls/click?upn=u001.Lw4Hn0pZa8Rt5-2FAuthorizeIp-2F4829130"))

    text = ("Dear acme_steam,\n\nHere is the Steam Guard code you need to login to account acme_steam:\n\nF4K2P\n\n"
            "This email was generated because of a login attempt from a web or mobile device located at 203.0.113.47 (DE).\n\n"
            "The login attempt included your correct account name and password.\n\n"
            "The Steam Guard code is required to complete the login. No one can access your account without also accessing this email.\n\n"
            "If you are not attempting to login then please change your Steam password, and consider changing your email password as well to ensure your account security.\n\n"
            "Cheers,\nThe Steam Team")
    add(mail("en-mail-steam-guard", "en", email("noreply@steampowered.com", "Your Steam account: Access from new web or mobile device", text=text, name="Steam Support"), "F4K2P"))

    html = page("""<h2>Login Verification Code</h2><p>Your verification code:</p><p style="font-size:28px;color:#F0B90B"><b>482913</b></p>
<p>The verification code will be valid for 30 minutes. Please do not share this code with anyone.</p>
<p>Don't recognize this activity? Please <a href="https://accounts.binance.com/en/user/reset-password">reset your password</a> and contact <a href="https://www.binance.com/en/support">customer support</a> immediately.</p>
<p><i>This is an automated message, please do not reply.</i></p>""", "Binance",
                '<p>Stay connected! <a href="https://twitter.com/binance">Twitter</a> <a href="https://www.facebook.com/binance">Facebook</a><br>To stay secure, setup your phishing code <a href="https://www.binance.com/en/my/security/anti-phishing-code">here</a>.<br>© 2026 Binance.com, All Rights Reserved.</p>')
    add(mail("en-mail-binance-login", "en", email("do-not-reply@ses.binance.com", "[Binance] Login Verification Code – 2026-11-20 09:31:00 (UTC)", html=html, name="Binance"), "482913"))

    html = page("""<h1>Confirm your email address</h1><p>Hi Acme Team,</p><p>Just confirm your email address to finish setting up your PayPal account.</p>"""
                + button("https://www.paypal.com/cgi-bin/webscr?cmd=_confirm-email-password-submit&amp;code=9f8e7d6c5b4a39281706&amp;id=4829130", "Confirm Email", "#0070ba")
                + "<p>Thanks,<br>PayPal</p>", "PayPal",
                '<p><a href="https://www.paypal.com/us/smarthelp/home">Help &amp; Contact</a> | <a href="https://www.paypal.com/us/webapps/mpp/ua/privacy-full">Privacy</a><br>PayPal is committed to preventing fraudulent emails.<br>Copyright © 1999-2026 PayPal, Inc. All rights reserved. PayPal, Inc., 2211 North First Street, San Jose, CA 95131</p>')
    add(mail("en-mail-paypal-confirm", "en", email("service@paypal.com", "Confirm your email address", html=html, name="PayPal"),
             None, "https://www.paypal.com/cgi-bin/webscr?cmd=_confirm-email-password-submit&code=9f8e7d6c5b4a39281706&id=4829130"))

    text = "Your PayPal security code is 482913. Don't share this code with anyone. PayPal will never ask you for it.\n\nPayPal, Inc., 2211 North First Street, San Jose, CA 95131"
    add(mail("en-mail-paypal-code", "en", email("service@paypal.com", "Your PayPal security code", text=text, name="PayPal", cte="base64"), "482913"))

    html = page("""<p>Hi there,</p><p>Please verify your email address so we know that it's really you!</p>"""
                + button("https://dashboard.stripe.com/confirm_email?t=Y2FjaGVfNDgyOTEzXzc3MjAxOTM4NDc", "Verify email address", "#635bff")
                + '<p>If you have any questions, please visit <a href="https://support.stripe.com/">support.stripe.com</a>.</p>', "Stripe",
                '<p>Stripe, 354 Oyster Point Blvd, South San Francisco, CA 94080</p>')
    add(mail("en-mail-stripe-verify", "en", email("support@stripe.com", "Verify your email for Stripe", html=html, name="Stripe"),
             None, "https://dashboard.stripe.com/confirm_email?t=Y2FjaGVfNDgyOTEzXzc3MjAxOTM4NDc"))

    html = page(f"""<p>Here's your login code for Shopify:</p>{code_box("482913")}<p>This code expires in 15 minutes. If you didn't try to log in, you can ignore this email.</p>""", "Shopify",
                '<p>Shopify Inc. 151 O\'Connor Street, Ground floor, Ottawa, ON K2P 2L8, Canada</p>')
    add(mail("en-mail-shopify-code", "en", email("mailer@shopify.com", "Your Shopify login code is 482913", html=html, name="Shopify"), "482913"))

    html = page("""<p style="font-size:28px;font-weight:bold">Enter this code to sign in</p><p style="font-size:36px;letter-spacing:8px">4829</p>
<p>Enter this code on your TV to sign in to Netflix. This code will expire in 15 minutes.</p>
<p>If you did not request this code, please go to the <a href="https://help.netflix.com/">Netflix Help Center</a> for assistance.</p>""", "Netflix",
                '<p>Questions? Call 1-866-579-7172<br>This account email has been sent to you as part of your Netflix membership.<br>Netflix International B.V.</p>')
    add(mail("en-mail-netflix-code", "en", email("info@account.netflix.com", "Your sign-in code", html=html, name="Netflix"), "4829"))

    html = page("""<p>Did you request to update your Netflix Household?</p><p>If you requested this update from the Netflix account holder, click the button below.</p>"""
                + button("https://www.netflix.com/account/update-primary-location?nftoken=BgiQlOvcAxKgAd9F3Zq8Pm2Kx7YtR4", "Yes, This Was Me", "#e50914")
                + "<p>Link expires after 15 minutes.</p><p>If you did not make this request, <a href=\"https://www.netflix.com/YourAccount\">let us know</a> to keep your account secure.</p>", "Netflix",
                '<p>Questions? Call 1-866-579-7172<br><a href="https://help.netflix.com/">Help Centre</a> | <a href="https://help.netflix.com/legal/privacy">Privacy</a></p>')
    add(mail("en-mail-netflix-household", "en", email("info@account.netflix.com", "Important: How to update your Netflix Household", html=html, name="Netflix"),
             None, "https://www.netflix.com/account/update-primary-location?nftoken=BgiQlOvcAxKgAd9F3Zq8Pm2Kx7YtR4"))

    html = page("""<p>Hi Acme,</p><p>Your one-time identification code is <b>48291374</b>. Use this code to verify your identity online. It expires in 10 minutes.</p>
<p>Don't share this code with anyone. Chase will never call, text or email you to ask for it.</p>""", "Chase",
                '<p>JPMorgan Chase Bank, N.A. Member FDIC. Questions? Call 1-800-935-9935.<br>© 2026 JPMorgan Chase &amp; Co.</p>')
    add(mail("en-mail-chase-code", "en", email("no.reply.alerts@chase.com", "Your Chase identification code", html=html, name="Chase"), "48291374"))

    text = ("Hi Acme,\n\nWe noticed a new sign-in to your Google Account on a Windows device. If this was you, you don't need to do anything. "
            "If not, we'll help you secure your account.\n\nCheck activity: https://accounts.google.com/AccountChooser?Email=team@in.example.test&continue=https://myaccount.google.com/alert/nt/1732095060000?rfn%3D325\n\n"
            "You can also see security activity at https://myaccount.google.com/notifications\n\n"
            "You received this email to let you know about important changes to your Google Account and services.\n© 2026 Google LLC, 1600 Amphitheatre Parkway, Mountain View, CA 94043, USA")
    add(mail("en-mail-none-google-alert", "en", email("no-reply@accounts.google.com", "Security alert", text=text, name="Google"), None))

    html = page("""<p>Hi Acme,</p><p>Your statement for the account ending in 4829 is ready to view online.</p>
<table><tr><td>Statement balance</td><td>$1,482.91</td></tr><tr><td>Minimum payment due</td><td>$35.00</td></tr><tr><td>Payment due date</td><td>12/15/2026</td></tr></table>""", "Chase",
                '<p>JPMorgan Chase Bank, N.A. Member FDIC<br>© 2026 JPMorgan Chase &amp; Co.</p>')
    add(mail("en-mail-none-statement", "en", email("no.reply.alerts@chase.com", "Your credit card statement is ready", html=html, name="Chase"), None))

    html = page("""<h2>Today's highlights</h2><p><a href="https://medium.com/p/48291301abcd">10 Tips for Better Sleep</a> — 5 min read</p>
<p><a href="https://medium.com/p/77201938efgh">Why 2026 is the year of Rust</a> — 8 min read</p><p>Join 48,291 readers who follow this topic.</p>""", "Medium",
                '<p>Sent by Medium · 548 Market St, PMB 49183, San Francisco, CA 94104<br><a href="https://medium.com/me/settings/notifications">Unsubscribe</a></p>')
    add(mail("en-mail-none-medium-digest", "en", email("noreply@medium.com", "Medium Daily Digest", html=html, name="Medium Daily Digest"), None))

    html = page("""<h2>Thanks for your order, Acme!</h2><p>Order #112-4829130-1234567</p>
<table><tr><td>Wireless Mouse</td><td>Qty: 1</td><td>$24.99</td></tr><tr><td>USB-C Cable</td><td>Qty: 2</td><td>$15.98</td></tr>
<tr><td>Order Total:</td><td></td><td>$43.17</td></tr></table><p>Arriving Tuesday, November 24</p>""", "Amazon", AMAZON_FOOTER)
    add(mail("en-mail-none-amazon-order", "en", email("auto-confirm@amazon.com", "Your Amazon.com order #112-4829130-1234567", html=html, name="Amazon.com"), None))

    text = ("Hi Acme,\n\nGreat news! Your package is on the way.\n\nCarrier: UPS\nTracking number: 1Z999AA10123456784\n"
            "Estimated delivery: Tuesday, 11/24/2026\n\nTrack your package: https://www.ups.com/track?tracknum=1Z999AA10123456784\n\nThanks for shopping with us!")
    add(mail("en-mail-none-shipping", "en", email("orders@shop.example.com", "Your order has shipped", text=text, name="Example Shop"), None))

    text = ("Hi Acme,\n\nThis is a reminder of your appointment with Dr. Patel on Tuesday, December 3, 2026 at 2:30 PM.\n\n"
            "Location: 1200 Market Street, Suite 410, San Francisco, CA 94102\nPhone: (415) 555-0134\n\n"
            "Please arrive 15 minutes early. To reschedule, call us at 415-555-0134.")
    add(mail("en-mail-none-appointment", "en", email("reminders@clinic.example.com", "Appointment reminder: Dec 3 at 2:30 PM", text=text, name="Bay Clinic"), None))

    html = page("""<h1>Welcome to Acme Rewards!</h1><p>Enjoy 15% off your first order with code <b>WELCOME15</b> at checkout.</p>"""
                + button("https://shop.example.com/?utm_source=email&amp;utm_campaign=welcome", "Shop now", "#111111")
                + "<p>Offer valid until 12/31/2026. Cannot be combined with other offers.</p>", "Acme",
                SOCIAL + '<p><a href="https://shop.example.com/unsubscribe?u=4829130">Unsubscribe</a> | Acme Inc., 500 Howard St, San Francisco, CA 94105</p>')
    add(mail("en-mail-none-promo", "en", email("hello@shop.example.com", "Welcome! Here's 15% off", html=html, name="Acme Shop"), None))

    html = page("""<p>Your reservation is confirmed!</p><p>Reservation code: <b>HMABCD1234</b></p><p>Check-in: Fri, Dec 4, 2026 after 3:00 PM<br>Checkout: Sun, Dec 6, 2026 by 11:00 AM</p>
<p>Address: 742 Evergreen Terrace, Springfield, OR 97403</p>""", "Airbnb",
                '<p>Airbnb, Inc., 888 Brannan St, San Francisco, CA 94103</p>')
    add(mail("en-mail-none-airbnb-reservation", "en", email("automated@airbnb.com", "Reservation confirmed for Springfield", html=html, name="Airbnb"), None))

    html = page("""<p>Hi Acme,</p><p>Thanks for riding with Uber.</p><table><tr><td>Trip fare</td><td>$18.40</td></tr><tr><td>Booking fee</td><td>$2.75</td></tr><tr><td>Total</td><td>$21.15</td></tr></table>
<p>Trip ID 4829-1301 · Nov 20, 2026, 9:14 AM</p>""", "Uber", '<p>Uber Technologies, 1725 3rd Street, San Francisco, CA 94158</p>')
    add(mail("en-mail-none-uber-receipt", "en", email("noreply@uber.com", "Your Friday morning trip with Uber", html=html, name="Uber Receipts"), None))

    html = page("""<p>Hi Acme,</p><p>Before you can use Dropbox, please verify your email address.</p>"""
                + button("https://www.dropbox.com/l/AADyq8Zr2vKm4NwT6yLa0sQp7Xe/email_verify", "Verify your email", "#0061fe")
                + "<p>Happy Dropboxing!<br>- The Dropbox Team</p>", "Dropbox",
                '<p>© 2026 Dropbox, Inc. 1800 Owens St, San Francisco, CA 94158<br><a href="https://www.dropbox.com/privacy">Privacy Policy</a></p>')
    add(mail("en-mail-dropbox-verify", "en", email("no-reply@dropbox.com", "Please verify your email", html=html, name="Dropbox"),
             None, "https://www.dropbox.com/l/AADyq8Zr2vKm4NwT6yLa0sQp7Xe/email_verify"))

    html = page("""<h2>Authorize new device</h2><p>A new device tried to sign in to your Coinbase account.</p>
<p>Device: Chrome (Windows)<br>IP: 203.0.113.47<br>Location: Berlin, DE</p>"""
                + button("https://www.coinbase.com/device_confirmations/8f2a91c0-d3e4-4f5a-b6b7-4829130ab12c?token=Qp7Xe2vKm4", "Authorize this device", "#0052ff")
                + '<p>If this was not you, please <a href="https://www.coinbase.com/settings/lock">lock your account</a> and contact Coinbase Support.</p>', "Coinbase",
                '<p>Coinbase, 100 Pine Street, Suite 1250, San Francisco, CA 94111</p>')
    add(mail("en-mail-coinbase-authorize", "en", email("no-reply@coinbase.com", "Authorize new device", html=html, name="Coinbase"),
             None, "https://www.coinbase.com/device_confirmations/8f2a91c0-d3e4-4f5a-b6b7-4829130ab12c?token=Qp7Xe2vKm4"))

    html = page("""<p>Did you just try to log in?</p><p>We noticed a login to your account from a new device.</p><p>Chrome on Windows · Berlin, Germany · Nov 20, 2026 at 9:31 AM</p>"""
                + button("https://app.example-crm.com/security/approve-login?req=Zx8PqR2vKm4NwT6yLa0sQp7X", "Yes, it was me", "#16a34a")
                + button("https://app.example-crm.com/security/deny-login?req=Zx8PqR2vKm4NwT6yLa0sQp7X", "No, secure my account", "#dc2626"), "ExampleCRM",
                '<p><a href="https://app.example-crm.com/help">Help</a> · ExampleCRM Ltd, 1 Dock Rd, Dublin 2, Ireland</p>')
    add(mail("en-mail-yes-it-was-me", "en", email("security@example-crm.com", "New login to your ExampleCRM account", html=html, name="ExampleCRM"),
             None, "https://app.example-crm.com/security/approve-login?req=Zx8PqR2vKm4NwT6yLa0sQp7X"))

    html = page("""<h2>Sign in to Medium</h2><p>Click the link below to sign in to your Medium account.</p><p>This link will expire in 15 minutes and can only be used once.</p>"""
                + button("https://medium.com/m/callback/email?token=8a1f3e94c7b2d6e0&amp;operation=login&amp;state=medium", "Sign in to Medium", "#1a8917")
                + '<p>If the button above doesn\'t work, paste this link into your web browser:<br>https://medium.com/m/callback/email?token=8a1f3e94c7b2d6e0&amp;operation=login&amp;state=medium</p>', "Medium",
                '<p>If you did not make this request, you can safely ignore this email.<br>Sent by Medium · 548 Market St, PMB 49183, San Francisco, CA 94104</p>')
    add(mail("en-mail-medium-magic", "en", email("noreply@medium.com", "Sign in to Medium", html=html, name="Medium"),
             None, "https://medium.com/m/callback/email?token=8a1f3e94c7b2d6e0&operation=login&state=medium"))

    text = ("Hi,\n\nSomeone (hopefully you) requested a password reset for your Acme account.\n\nReset your password:\n"
            "https://app.acme.example/reset-password?token=f4a1c9e2b7d84a3c9e1f\n\nThis link expires in 1 hour. If you didn't request a reset, you can ignore this email.\n\n— Acme")
    add(mail("en-mail-password-reset", "en", email("no-reply@acme.example", "Reset your Acme password", text=text, name="Acme"),
             None, "https://app.acme.example/reset-password?token=f4a1c9e2b7d84a3c9e1f"))

    inner = email("security@mail.instagram.com", "771204 is your Instagram code",
                  text="Hi acme,\n\nSomeone tried to log in to your Instagram account. If this was you, please use the following code to confirm your identity:\n\n771204\n\nThanks,\nThe Instagram team",
                  name="Instagram")
    add(mail("en-mail-forwarded-rfc822", "en",
             email("social-lead@acme.example", "Fwd: 771204 is your Instagram code", text="Forwarding the login code from my phone.\n\n-- \nJane, Social Media Lead\n+1 (415) 555-0199",
                   attach_rfc822=inner, name="Jane Doe"), "771204"))

    text = ("---------- Forwarded message ---------\nFrom: TikTok <no-reply@account.tiktok.com>\nDate: Fri, Nov 20, 2026 at 9:31 AM\n"
            "Subject: 593017 is your verification code\nTo: <jane@acme.example>\n\n\nVerification Code\n\nTo verify your account, enter this code in TikTok:\n\n593017\n\n"
            "Verification codes expire after 48 hours.")
    add(mail("en-mail-forwarded-inline", "en", email("jane@acme.example", "Fwd: 593017 is your verification code", text=text, name="Jane Doe"), "593017"))

    html = page("""<p>Hi there,</p><p>Here is your one-time passcode to sign in to Zendesk:</p>
<p style="font-size:30px;font-family:monospace"><span>4</span><span>8</span><span>2</span> <span>9</span><span>1</span><span>3</span></p>
<p>The passcode expires in 10 minutes. Never share it with anyone.</p>""", "Zendesk",
                '<p>Zendesk, Inc. 989 Market St, San Francisco, CA 94103</p>')
    add(mail("en-mail-zendesk-spans", "en", email("noreply@zendesk.com", "Your Zendesk sign-in passcode", html=html, name="Zendesk"), "482913"))

    text = "Your Acme verification code is 482913.\n\nThis code expires in 10 minutes.\n"
    add(mail("en-mail-plain-ascii", "en", email("no-reply@acme.example", "Your verification code", text=text, charset="us-ascii"), "482913"))

    html = page("""<p>Hi Acme,</p><p>Use the code below to finish signing up for Canva. It expires in 10 minutes.</p>
<h1 style="letter-spacing:4px">482 913</h1><p>Not you? You can ignore this email.</p>""", "Canva",
                '<p>Canva®, 110 Kippax St, Surry Hills NSW 2010, Australia · <a href="https://www.canva.com/policies/privacy-policy/">Privacy policy</a></p>')
    add(mail("en-mail-canva-spaced", "en", email("no-reply@canva.com", "Your Canva code is 482 913", html=html, name="Canva"), "482913"))

    text = ("Your Epic Games security code is:\n\n4X9QPT\n\nIf you did not attempt to sign in, please change your password immediately.\n\nEpic Games, Inc. 620 Crossroads Blvd., Cary, NC 27518")
    add(mail("en-mail-epic-alnum", "en", email("help@acct.epicgames.com", "Your Epic Games security code", text=text, name="Epic Games"), "4X9QPT"))

    text = ("Hello,\n\nThanks for signing up for our newsletter! Please confirm your subscription by clicking the link below:\n\n"
            "https://news.example.org/subscribe/confirm?e=dGVhbUBpbi5leGFtcGxlLnRlc3Q&k=8c1f4e92\n\nIf you received this by mistake, just ignore it.\n\n"
            "To unsubscribe at any time: https://news.example.org/unsubscribe?e=dGVhbUBpbi5leGFtcGxlLnRlc3Q")
    add(mail("en-mail-newsletter-double-optin", "en", email("list@news.example.org", "Please confirm your subscription", text=text, name="Example News"),
             None, "https://news.example.org/subscribe/confirm?e=dGVhbUBpbi5leGFtcGxlLnRlc3Q&k=8c1f4e92"))

    html = page("""<p>Hi Acme,</p><p>Your October invoice INV-2026-4829 for $249.00 is now available.</p>"""
                + button("https://billing.example-saas.com/invoices/INV-2026-4829", "View invoice", "#2563eb")
                + "<p>Payment will be charged to Visa ending 4242 on Nov 30, 2026.</p>", "ExampleSaaS",
                '<p><a href="https://billing.example-saas.com/preferences">Email preferences</a> · ExampleSaaS GmbH, Torstraße 140, 10119 Berlin</p>')
    add(mail("en-mail-none-invoice", "en", email("billing@example-saas.com", "Your invoice INV-2026-4829", html=html, name="ExampleSaaS Billing"), None))

    return out
