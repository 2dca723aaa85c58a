"""Holdout cases, written after the extractor was finished and never tuned
against: a generalisation check (run from this directory)."""

from mail import email, mail, page, button, code_box, digit_cells, sms, write

H = [
    sms("h-en-sms-spotify", "en", "+14155550111", "Spotify: Your login code is 582016. It expires in 15 minutes.", "582016"),
    sms("h-en-sms-okta", "en", "+18885550142", "Your Okta verification code is 715003", "715003"),
    sms("h-en-sms-robinhood", "en", "+16505550123", "Robinhood: Your verification code is 094217. Don't share it with anyone — Robinhood will never ask for it.", "094217"),
    sms("h-en-sms-bumble", "en", "Bumble", "Bumble code 6194 - it expires in 2 minutes. Never share this code with anyone.", "6194"),
    sms("h-en-sms-none-delivery", "en", "+18005550187", "FedEx: Your shipment 7794 2314 5560 is scheduled for delivery on Mon 11/23 by 8:00pm.", None),
    sms("h-en-sms-none-pharmacy", "en", "+18005550163", "CVS Pharmacy: Your prescription is ready for pickup at 1420 Main St. Questions? Call 555-381-2290.", None),
    sms("h-es-sms-rappi", "es", "Rappi", "Tu código de acceso a Rappi es: 3821. Si no lo solicitaste, ignora este mensaje.", "3821"),
    sms("h-pt-sms-picpay", "pt", "PicPay", "PicPay: seu codigo de seguranca e 604 118. Nao compartilhe.", "604118"),
    sms("h-fr-sms-ameli", "fr", "Ameli", "Votre code de connexion à votre compte ameli est : 92 61 07. Il expire dans 5 minutes.", "926107"),
    sms("h-de-sms-n26", "de", "N26", "N26: Dein Bestätigungscode lautet 734-102. Gib ihn niemals weiter.", "734102"),
    sms("h-ru-sms-kaspi", "ru", "Kaspi.kz", "Kaspi.kz: код для входа 5520. Никому не говорите этот код, даже сотрудникам банка.", "5520"),
    sms("h-pl-sms-none-paczka", "pl", "DPD", "DPD Polska: Twoja paczka 0000482913012U zostanie doręczona 24.11 w godz. 10:00-13:00.", None),
    sms("h-ja-sms-yahoo", "ja", "Yahoo", "確認コード：285104\nYahoo! JAPAN IDのログインに使用してください。", "285104"),
    sms("h-ko-sms-toss", "ko", "1599", "[Web발신]\n[토스] 인증번호 [739210] 타인에게 절대 알려주지 마세요.", "739210"),
    sms("h-zh-sms-none-bill", "zh", "95588", "【工商银行】您尾号4829的信用卡本期账单金额3,280.50元，到期还款日12月05日。", None),
    sms("h-ar-sms-jumia", "ar", "Jumia", "رمز التحقق الخاص بك في جوميا هو ٧٣٠٢٥٨ ، صالح لمدة ١٠ دقائق", "730258"),
    sms("h-id-sms-shopee", "id", "Shopee", "JANGAN BERIKAN KODE INI KE SIAPAPUN TERMASUK PIHAK SHOPEE. KODE VERIFIKASI: 418207. WASPADA PENIPUAN!", "418207"),
    sms("h-hi-sms-phonepe", "hi", "VM-PHONPE", "PhonePe पर लॉगिन करने के लिए आपका OTP 362519 है। इसे किसी के साथ साझा न करें।", "362519"),
]


def emails():
    out = []
    add = out.append

    html = page(f"""<p>Hi acmebrand,</p><p>Here is your Twitch verification code:</p>{digit_cells("830172")}
<p>This code will expire in 10 minutes. Please don't share it with anyone.</p>""", "Twitch",
                '<p><a href="https://www.twitch.tv/settings/notifications">Manage notification settings</a><br>© 2026 Twitch Interactive, Inc. 350 Bush Street, 2nd Floor, San Francisco, CA 94104</p>')
    add(mail("h-en-mail-twitch-cells", "en", email("no-reply@twitch.tv", "Your Twitch Verification Code", html=html, name="Twitch"), "830172"))

    text = ("Hi u/acme_official,\n\nYour Reddit verification code is:\n\n309 481\n\nEnter it in the Reddit app or on the website to continue. "
            "If you didn't request this code, you can safely ignore this email.\n\nReddit Inc, 303 2nd Street, South Tower, 5th Floor, San Francisco, CA 94107")
    add(mail("h-en-mail-reddit-spaced", "en", email("noreply@reddit.com", "Reddit verification code", text=text, name="Reddit"), "309481"))

    html = page("""<h2>Verify your email address</h2><p>To finish setting up your Pinterest account, we just need to make sure this email address is yours.</p>"""
                + button("https://www.pinterest.com/_/_/confirm_email/?token=aW5mb0BhY21lLmV4YW1wbGU6MTczMjA5", "Verify email", "#e60023")
                + '<p>If you didn\'t create this account, <a href="https://help.pinterest.com/en/contact">contact us</a>.</p>', "Pinterest",
                '<p><a href="https://policy.pinterest.com/privacy-policy">Privacy policy</a> · Pinterest, Inc., 651 Brannan Street, San Francisco, CA 94107</p>')
    add(mail("h-en-mail-pinterest-confirm", "en", email("confirm@account.pinterest.com", "Please confirm your email", html=html, name="Pinterest"),
             None, "https://www.pinterest.com/_/_/confirm_email/?token=aW5mb0BhY21lLmV4YW1wbGU6MTczMjA5"))

    html = page("""<p>Hello,</p><p>A sign-in to your Zoom account requires verification. Enter the following code on the sign-in page:</p>
<p style="font-size:28px"><strong>592 730</strong></p><p>The code expires in 10 minutes.</p>""", "Zoom",
                '<p>Zoom Communications, Inc. 55 Almaden Blvd, Suite 600, San Jose, CA 95113 · +1.888.799.9666</p>')
    add(mail("h-en-mail-zoom-code", "en", email("no-reply@zoom.us", "Zoom sign-in verification code", html=html, name="Zoom"), "592730"))

    html = page("""<p>Hi Acme,</p><p>Tap the button below to sign in to Notion. This link will expire in 1 hour.</p>"""
                + button("https://www.notion.so/loginwithemail?state=7f3e8a2c-41b9&token=v02%3Aemail_login%3AqP8xR2mK9", "Sign in with login code", "#000000")
                + "<p>If you didn't try to sign in, you can safely ignore this email.</p>", "Notion",
                '<p>Notion Labs, Inc., 2300 Harrison Street, San Francisco, CA 94110</p>')
    add(mail("h-en-mail-notion-magic", "en", email("notify@mail.notion.so", "Your Notion sign-in link", html=html, name="Notion Team"),
             None, "https://www.notion.so/loginwithemail?state=7f3e8a2c-41b9&token=v02%3Aemail_login%3AqP8xR2mK9"))

    text = ("Hi Acme,\n\nThanks for your purchase from Etsy!\n\nOrder number: 3128459907\nOrder total: $46.80\n"
            "Estimated delivery: Nov 27-Dec 2\n\nView your order: https://www.etsy.com/your/purchases/3128459907\n\nEtsy, Inc., 117 Adams Street, Brooklyn, NY 11201")
    add(mail("h-en-mail-none-etsy", "en", email("transaction@etsy.com", "Your Etsy Purchase from CraftyShop (3128459907)", text=text, name="Etsy Transactions"), None))

    html = page("""<h1>Black Friday starts now</h1><p>Up to 60% off everything. Use promo code <b>BF60NOW</b> at checkout.</p>"""
                + button("https://shop.example.net/sale?utm_source=newsletter", "Shop the sale", "#000000")
                + "<p>Ends Monday 11:59 PM PT. Free shipping on orders over $75.</p>", "ExampleNet",
                '<p><a href="https://shop.example.net/email/unsubscribe?id=77201">Unsubscribe</a> · ExampleNet, 100 Pine St, Portland, OR 97204</p>')
    add(mail("h-en-mail-none-blackfriday", "en", email("news@shop.example.net", "Black Friday: 60% off everything", html=html, name="ExampleNet"), None))

    text = ("Hello,\n\nYour Wise verification code is 47 82 19.\n\nWe'll never ask you for this code over the phone. "
            "If you didn't try to log in, reset your password.\n\nWise Payments Limited, 6th Floor, The Tea Building, 56 Shoreditch High Street, London E1 6JJ")
    add(mail("h-en-mail-wise-qp", "en", email("noreply@wise.com", "Your verification code", text=text, name="Wise", cte="quoted-printable"), "478219"))

    html = page("""<p>Hola,</p><p>Para confirmar tu reserva y verificar tu cuenta de Booking.com, introduce este código:</p>"""
                + code_box("418 905") + "<p>El código caduca en 30 minutos.</p>", "Booking.com",
                '<p>Booking.com B.V., Oosterdokskade 163, 1011 DL Ámsterdam, Países Bajos</p>', lang="es")
    add(mail("h-es-mail-booking-code", "es", email("noreply@booking.com", "Tu código de verificación de Booking.com", html=html, name="Booking.com"), "418905"))

    text = ("Olá,\n\nRecebemos um pedido para alterar o e-mail da sua conta Mercado Pago.\n\nConfirme a alteração no link abaixo:\n"
            "https://www.mercadopago.com.br/account/email/confirm?token=Kd82Lm1QwZ7xPe4R\n\nSe não foi você, ignore esta mensagem.")
    add(mail("h-pt-mail-mercadopago-link", "pt", email("info@mercadopago.com", "Confirme a alteração do seu e-mail", text=text, name="Mercado Pago"),
             None, "https://www.mercadopago.com.br/account/email/confirm?token=Kd82Lm1QwZ7xPe4R"))

    text = ("Bonjour,\n\nVoici votre code à usage unique pour vous connecter à Doctolib : 771 240\n\n"
            "Ce code expire dans 10 minutes. Ne le communiquez jamais, même à un conseiller Doctolib.\n\nDoctolib, 54 quai Charles Pasqua, 92300 Levallois-Perret")
    add(mail("h-fr-mail-doctolib-latin1", "fr", email("no-reply@doctolib.fr", "Votre code de connexion Doctolib", text=text, charset="iso-8859-1", name="Doctolib"), "771240"))

    text = ("Hallo Acme,\n\nvielen Dank für Ihre Bestellung bei OTTO.\n\nBestellnummer: 84 2913 0217\nRechnungsbetrag: 129,99 €\n"
            "Voraussichtliche Lieferung: 25.11.2026\n\nIhr OTTO-Team\nOtto (GmbH & Co KG), Werner-Otto-Straße 1-7, 22179 Hamburg")
    add(mail("h-de-mail-none-otto", "de", email("service@otto.de", "Ihre Bestellung bei OTTO", text=text, charset="iso-8859-15", name="OTTO"), None))

    html = page(f"""<p>Ciao,</p><p>ecco il codice per accedere al tuo account Satispay:</p>{code_box("5 0 3 8 1 6")}<p>Non condividere questo codice con nessuno.</p>""",
                "Satispay", '<p>Satispay Europe S.A., 21 Avenue de la Gare, L-1611 Luxembourg</p>', lang="it")
    add(mail("h-it-mail-satispay", "it", email("noreply@satispay.com", "Il tuo codice di accesso", html=html, name="Satispay"), "503816"))

    text = "Здравствуйте!\n\nВы запросили вход в Госуслуги. Код подтверждения — 604813.\n\nЕсли это были не вы, срочно смените пароль."
    add(mail("h-ru-mail-gosuslugi-cp1251", "ru", email("no-reply@gosuslugi.ru", "Код подтверждения входа", text=text, charset="windows-1251", cte="quoted-printable", name="Госуслуги"), "604813"))

    text = "Merhaba,\n\nHesabınızı doğrulamak için aşağıdaki bağlantıya tıklayın:\nhttps://www.sahibinden.com/hesap/dogrula?kod=Ab3kL9mQ2xW7\n\nBu işlemi siz yapmadıysanız bu e-postayı dikkate almayın."
    add(mail("h-tr-mail-sahibinden-link", "tr", email("noreply@sahibinden.com", "E-posta adresinizi doğrulayın", text=text, charset="iso-8859-9", name="sahibinden.com"),
             None, "https://www.sahibinden.com/hesap/dogrula?kod=Ab3kL9mQ2xW7"))

    text = "WeChat 微信\n\n您正在绑定邮箱，验证码为：\n\n736104\n\n验证码30分钟内有效。如非本人操作，请忽略本邮件。"
    add(mail("h-zh-mail-wechat-gb", "zh", email("weixinteam@qq.com", "微信邮箱验证", text=text, charset="gb2312", cte="base64", name="微信团队"), "736104"))

    text = "LINEをご利用いただきありがとうございます。\n\nメールアドレス登録のための認証番号は以下の通りです。\n\n認証番号：8821\n\n※このメールに心当たりのない場合は破棄してください。"
    add(mail("h-ja-mail-line-sjis", "ja", email("no-reply@line.me", "[LINE] 認証番号のお知らせ", text=text, charset="shift_jis", cte="base64", name="LINE"), "8821"))

    html = page("""<p>안녕하세요, 쿠팡입니다.</p><p>주문하신 상품이 발송되었습니다.</p><p>주문번호: 29104830172<br>결제금액: 38,900원<br>운송장번호: 5638 2910 4417</p>""",
                "Coupang", '<p>쿠팡(주) 서울시 송파구 송파대로 570</p>', lang="ko")
    add(mail("h-ko-mail-none-coupang", "ko", email("noreply@coupang.com", "[쿠팡] 상품이 발송되었습니다", html=html, name="쿠팡"), None))

    html = page(f"""<p>Xin chào,</p><p>Bạn vừa yêu cầu đăng nhập vào tài khoản Zalo trên thiết bị mới. Mã xác nhận của bạn:</p>{code_box("294 081")}
<p>Mã có hiệu lực trong 10 phút.</p>""", "Zalo", '<p>Công ty Cổ phần VNG, Z06 Đường số 13, Phường Tân Thuận Đông, Quận 7, TP. Hồ Chí Minh</p>', lang="vi")
    add(mail("h-vi-mail-zalo", "vi", email("no-reply@zalo.me", "Mã xác nhận đăng nhập Zalo", html=html, name="Zalo"), "294081"))

    return out


if __name__ == "__main__":
    write("../holdout.jsonl", H + emails())
