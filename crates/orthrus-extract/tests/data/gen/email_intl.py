"""Email cases in languages other than English, in several charsets."""

from mail import email, mail, page, button, code_box, digit_cells


def cases():
    out = []
    add = out.append

    # Spanish.
    html = page(f"""<p>Hola, acme:</p><p>Alguien intentó iniciar sesión en tu cuenta de Instagram. Si fuiste tú, usa el siguiente código para confirmar tu identidad:</p>{code_box("482913")}
<p>Si no fuiste tú, <a href="https://www.instagram.com/accounts/password/reset/?uid=8f2a91">restablece tu contraseña</a>.</p>""", "Instagram",
                '<p>Meta Platforms, Inc., Attention: Community Support, 1 Meta Way, Menlo Park, CA 94025</p>', lang="es")
    add(mail("es-mail-instagram", "es", email("security@mail.instagram.com", "482913 es tu código de Instagram", html=html, name="Instagram"), "482913"))

    text = ("Hola Acme,\n\nTu código de seguridad es: 482913\n\nIngrésalo para continuar. Vence en 15 minutos.\n\n"
            "Si no fuiste tú, cambia tu contraseña.\n\nMercado Libre S.R.L., Av. Caseros 3039, Piso 2, CP 1264, Parque Patricios, CABA")
    add(mail("es-mail-mercadolibre-latin1", "es", email("noreply@mercadolibre.com", "Código de seguridad de Mercado Libre", text=text, charset="iso-8859-1", name="Mercado Libre"), "482913"))

    html = page("""<p>¡Hola!</p><p>Gracias por registrarte en Rappi. Confirma tu correo electrónico para activar tu cuenta.</p>"""
                + button("https://www.rappi.com/confirmar-correo?token=Zx8PqR2vKm4NwT6yLa0s", "Confirmar correo")
                + '<p>¿Necesitas ayuda? <a href="https://www.rappi.com/ayuda">Centro de ayuda</a> · <a href="https://www.rappi.com/baja?u=4829">Darse de baja</a></p>', "Rappi", lang="es")
    add(mail("es-mail-rappi-confirm", "es", email("hola@rappi.com", "Confirma tu correo electrónico", html=html, name="Rappi"),
             None, "https://www.rappi.com/confirmar-correo?token=Zx8PqR2vKm4NwT6yLa0s"))

    html = page("""<h2>¡Tu pedido está en camino!</h2><p>Pedido nº 4829130 · Total: 58,20 €</p><p>Número de seguimiento: 0482913012345ES</p>
<p>Entrega estimada: martes, 24 de noviembre de 2026</p>""", "Zara", '<p>Industria de Diseño Textil, S.A., Avenida de la Diputación, Edificio Inditex, 15143 Arteixo, A Coruña</p>', lang="es")
    add(mail("es-mail-none-pedido", "es", email("noreply@zara.com", "Tu pedido 4829130 ha sido enviado", html=html, name="ZARA"), None))

    # Portuguese.
    html = page(f"""<p>Olá, Acme!</p><p>Seu código de verificação do Nubank é:</p>{code_box("482913")}<p>Ele expira em 10 minutos. Não compartilhe este código com ninguém.</p>""",
                "Nubank", '<p>Nu Pagamentos S.A. - Rua Capote Valente, 39 - São Paulo, SP - CEP 05409-000</p>', lang="pt")
    add(mail("pt-mail-nubank", "pt", email("todomundo@nubank.com.br", "Seu código de verificação", html=html, name="Nubank", html_cte="base64"), "482913"))

    html = page("""<p>Olá!</p><p>Falta pouco! Confirme seu e-mail para ativar sua conta no iFood.</p>"""
                + button("https://www.ifood.com.br/confirmar-email?c=8f2a91c0d3e4f5a6b7c8", "Confirmar e-mail", "#ea1d2c")
                + '<p>Se você não criou uma conta, ignore este e-mail.</p><p><a href="https://www.ifood.com.br/privacidade">Política de privacidade</a></p>', "iFood", lang="pt")
    add(mail("pt-mail-ifood-confirm", "pt", email("naoresponda@ifood.com.br", "Confirme seu e-mail", html=html, name="iFood"),
             None, "https://www.ifood.com.br/confirmar-email?c=8f2a91c0d3e4f5a6b7c8"))

    text = ("Olá Acme,\n\nSeu pedido nº 482913 foi confirmado!\n\nValor total: R$ 249,90\nPrevisão de entrega: 24/11/2026\n\n"
            "Acompanhe seu pedido em https://www.magazineluiza.com.br/meus-pedidos/482913\n\nMagazine Luiza S/A - CNPJ 47.960.950/0001-21")
    add(mail("pt-mail-none-pedido", "pt", email("pedidos@magazineluiza.com.br", "Pedido 482913 confirmado", text=text, name="Magalu"), None))

    # French.
    text = ("Bonjour,\n\nVoici votre code de vérification : 482913\n\nCe code est valable pendant 10 minutes. "
            "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail.\n\nL'équipe leboncoin\n"
            "LBC France, 2 rue Paul Vaillant Couturier, 92300 Levallois-Perret")
    add(mail("fr-mail-leboncoin-latin1", "fr", email("noreply@leboncoin.fr", "Votre code de vérification", text=text, charset="iso-8859-1", name="leboncoin"), "482913"))

    html = page("""<p>Bonjour,</p><p>Merci de vous être inscrit sur Vinted ! Pour activer votre compte, veuillez confirmer votre adresse e-mail.</p>"""
                + button("https://www.vinted.fr/email_verifications/4829130?code=c0d3e4f5a6b7c8d9", "Confirmer mon adresse e-mail", "#09b1ba")
                + '<p><a href="https://www.vinted.fr/help">Centre d\'aide</a> · <a href="https://www.vinted.fr/unsubscribe?t=9f8e">Se désabonner</a></p>', "Vinted", lang="fr")
    add(mail("fr-mail-vinted-confirm", "fr", email("no-reply@vinted.fr", "Confirmez votre adresse e-mail", html=html, name="Vinted"),
             None, "https://www.vinted.fr/email_verifications/4829130?code=c0d3e4f5a6b7c8d9"))

    html = page("""<p>Bonjour Acme,</p><p>Votre facture n° FA-2026-482913 d'un montant de 49,99 € TTC est disponible dans votre espace client.</p>
<p>Prélèvement prévu le 05/12/2026.</p>""", "Free", '<p>Free - SAS au capital de 3 441 812 € - 8 rue de la Ville l\'Évêque, 75008 Paris</p>', lang="fr")
    add(mail("fr-mail-none-facture", "fr", email("facture@free.fr", "Votre facture Free est disponible", html=html, name="Free"), None))

    # German.
    text = ("Hallo,\n\nIhr Bestätigungscode lautet:\n\n482913\n\nDer Code ist 15 Minuten gültig. Geben Sie diesen Code niemals weiter.\n\n"
            "Mit freundlichen Grüßen\nIhr Zalando-Team\n\nZalando SE, Valeska-Gert-Straße 5, 10243 Berlin")
    add(mail("de-mail-zalando-latin1", "de", email("service@zalando.de", "Ihr Bestätigungscode", text=text, charset="iso-8859-1", name="Zalando"), "482913"))

    html = page("""<p>Hallo Acme,</p><p>bitte bestätige deine E-Mail-Adresse, um dein Konto zu aktivieren.</p>"""
                + button("https://www.kleinanzeigen.de/m-email-bestaetigen.html?token=Qp7Xe2vKm4NwT6yLa0sZ", "E-Mail-Adresse bestätigen", "#326916")
                + '<p>Du möchtest keine E-Mails mehr erhalten? <a href="https://www.kleinanzeigen.de/abmelden?u=4829">Hier abmelden</a>.</p>'
                  '<p><a href="https://www.kleinanzeigen.de/datenschutz">Datenschutzerklärung</a> · <a href="https://www.kleinanzeigen.de/hilfe">Hilfe</a></p>', "Kleinanzeigen", lang="de")
    add(mail("de-mail-kleinanzeigen-confirm", "de", email("noreply@kleinanzeigen.de", "Bitte bestätige deine E-Mail-Adresse", html=html, name="Kleinanzeigen"),
             None, "https://www.kleinanzeigen.de/m-email-bestaetigen.html?token=Qp7Xe2vKm4NwT6yLa0sZ"))

    text = ("Hallo Acme,\n\nIhre Sendung 00340434161094012345 ist unterwegs und wird voraussichtlich am Dienstag, 24.11.2026, zwischen 10:00 und 14:00 Uhr zugestellt.\n\n"
            "Sendungsverfolgung: https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434161094012345\n\nIhr DHL Team")
    add(mail("de-mail-none-dhl", "de", email("noreply@dhl.de", "Ihre DHL Sendung kommt heute", text=text, name="DHL Paket"), None))

    # Italian.
    html = page(f"""<p>Ciao,</p><p>Il tuo codice di verifica è:</p>{code_box("482913")}<p>Il codice scade tra 10 minuti. Non condividerlo con nessuno.</p>""", "Subito",
                '<p>Subito.it S.r.l. – Via Benigno Crespi 19, 20159 Milano – P.IVA 05839380966</p>', lang="it")
    add(mail("it-mail-subito-code", "it", email("noreply@subito.it", "Il tuo codice di verifica", html=html, name="Subito"), "482913"))

    html = page("""<p>Ciao Acme,</p><p>Conferma il tuo indirizzo email per completare la registrazione.</p>"""
                + button("https://www.example.it/conferma-email?t=8f2a91c0d3e4f5a6b7c8", "Conferma indirizzo email")
                + '<p><a href="https://www.example.it/privacy">Privacy</a> · <a href="https://www.example.it/disiscriviti">Disiscriviti</a></p>', "Example", lang="it")
    add(mail("it-mail-confirm", "it", email("noreply@example.it", "Conferma il tuo indirizzo email", html=html, name="Example Italia"),
             None, "https://www.example.it/conferma-email?t=8f2a91c0d3e4f5a6b7c8"))

    text = ("Gentile cliente,\n\nil tuo ordine n. 4829130 è stato spedito.\nCorriere: BRT\nNumero di spedizione: 048291301234\nImporto: 89,90 EUR\n\nGrazie per aver acquistato da noi!")
    add(mail("it-mail-none-ordine", "it", email("ordini@negozio.example.it", "Il tuo ordine è stato spedito", text=text, name="Negozio"), None))

    # Dutch.
    text = ("Hallo,\n\nJe verificatiecode is: 482913\n\nVul deze code in om verder te gaan. De code is 10 minuten geldig.\n\nGroet,\nHet bol.com team")
    add(mail("nl-mail-bol-code", "nl", email("noreply@bol.com", "Je verificatiecode", text=text, name="bol.com"), "482913"))

    html = page("""<p>Hoi Acme,</p><p>Bedankt voor je aanmelding! Bevestig je e-mailadres om je account te activeren.</p>"""
                + button("https://www.marktplaats.nl/account/bevestig?token=Zx8PqR2vKm4NwT6yLa0s", "Bevestig je e-mailadres", "#f7a600")
                + '<p><a href="https://www.marktplaats.nl/uitschrijven">Uitschrijven</a></p>', "Marktplaats", lang="nl")
    add(mail("nl-mail-marktplaats-confirm", "nl", email("noreply@marktplaats.nl", "Bevestig je e-mailadres", html=html, name="Marktplaats"),
             None, "https://www.marktplaats.nl/account/bevestig?token=Zx8PqR2vKm4NwT6yLa0s"))

    # Russian (Windows-1251, KOI8-R).
    text = ("Здравствуйте!\n\nВаш код подтверждения: 482913\n\nКод действителен 10 минут. Никому не сообщайте его.\n\nС уважением,\nкоманда Яндекс ID")
    add(mail("ru-mail-yandex-cp1251", "ru", email("noreply@id.yandex.ru", "Код подтверждения Яндекс ID", text=text, charset="windows-1251", cte="base64", name="Яндекс ID"), "482913"))

    text = ("Здравствуйте, Acme!\n\nДля входа в аккаунт VK используйте код 4829.\n\nЕсли вы не запрашивали код, просто проигнорируйте это письмо.")
    add(mail("ru-mail-vk-koi8", "ru", email("admin@notify.vk.com", "Код для входа ВКонтакте", text=text, charset="koi8-r", cte="quoted-printable", name="ВКонтакте"), "4829"))

    html = page("""<p>Здравствуйте!</p><p>Ваш заказ № 48291374 оформлен.</p><table><tr><td>Сумма заказа</td><td>2 490 ₽</td></tr>
<tr><td>Дата доставки</td><td>24 ноября 2026</td></tr></table><p>Отследить заказ можно в личном кабинете.</p>""", "OZON",
                '<p>ООО «Интернет Решения», 123112, г. Москва, Пресненская наб., д. 10</p>', lang="ru")
    add(mail("ru-mail-none-ozon", "ru", email("noreply@ozon.ru", "Заказ 48291374 оформлен", html=html, name="OZON"), None))

    # Ukrainian.
    html = page(f"""<p>Вітаємо!</p><p>Ваш код підтвердження:</p>{code_box("482913")}<p>Код дійсний протягом 15 хвилин. Нікому не повідомляйте цей код.</p>""", "Rozetka",
                '<p>© 2026 ROZETKA, Київ, вул. Сім\'ї Сосніних, 3</p>', lang="uk")
    add(mail("uk-mail-rozetka-code", "uk", email("noreply@rozetka.com.ua", "Код підтвердження", html=html, name="ROZETKA"), "482913"))

    text = ("Вітаємо!\n\nПідтвердіть свою електронну адресу, перейшовши за посиланням:\nhttps://www.olx.ua/account/confirm/?token=8f2a91c0d3e4f5a6b7c8\n\nЯкщо ви не реєструвалися на OLX, просто проігноруйте цей лист.")
    add(mail("uk-mail-olx-confirm", "uk", email("noreply@olx.ua", "Підтвердіть електронну адресу", text=text, name="OLX"),
             None, "https://www.olx.ua/account/confirm/?token=8f2a91c0d3e4f5a6b7c8"))

    # Polish (ISO-8859-2).
    text = ("Cześć!\n\nTwój kod weryfikacyjny to: 482913\n\nKod jest ważny przez 10 minut. Nie udostępniaj go nikomu.\n\nZespół Allegro\n"
            "Allegro.pl sp. z o.o., ul. Grunwaldzka 182, 60-166 Poznań")
    add(mail("pl-mail-allegro-latin2", "pl", email("powiadomienia@allegro.pl", "Kod weryfikacyjny Allegro", text=text, charset="iso-8859-2", name="Allegro"), "482913"))

    html = page("""<p>Dzień dobry,</p><p>Potwierdź swój adres e-mail, aby dokończyć rejestrację.</p>"""
                + button("https://www.olx.pl/konto/potwierdz/?t=Qp7Xe2vKm4NwT6yLa0sZ", "Potwierdź adres e-mail", "#002f34")
                + '<p><a href="https://pomoc.olx.pl/">Pomoc</a></p>', "OLX", lang="pl")
    add(mail("pl-mail-olx-confirm", "pl", email("noreply@olx.pl", "Potwierdź adres e-mail", html=html, name="OLX"),
             None, "https://www.olx.pl/konto/potwierdz/?t=Qp7Xe2vKm4NwT6yLa0sZ"))

    # Turkish (Windows-1254).
    text = ("Merhaba,\n\nDoğrulama kodunuz: 482913\n\nBu kod 3 dakika boyunca geçerlidir. Kodu kimseyle paylaşmayın.\n\nTrendyol")
    add(mail("tr-mail-trendyol-cp1254", "tr", email("bilgi@trendyol.com", "Doğrulama kodunuz", text=text, charset="windows-1254", cte="base64", name="Trendyol"), "482913"))

    html = page("""<p>Merhaba Acme,</p><p>4829130 numaralı siparişiniz kargoya verildi.</p><p>Kargo takip numarası: 7281930124</p><p>Toplam tutar: 1.249,90 TL</p>""",
                "Hepsiburada", '<p>D-Market Elektronik Hizmetler ve Ticaret A.Ş., Kuştepe Mah. Mecidiyeköy Yolu Cad. No:12, İstanbul</p>', lang="tr")
    add(mail("tr-mail-none-kargo", "tr", email("bilgi@hepsiburada.com", "Siparişiniz kargoya verildi", html=html, name="Hepsiburada"), None))

    # Arabic.
    html = page(f"""<p>مرحباً،</p><p>رمز التحقق الخاص بك هو:</p>{code_box("٤٨٢٩١٣")}<p>صلاحية هذا الرمز ١٠ دقائق. لا تشارك هذا الرمز مع أي شخص.</p>""", "Careem",
                '<p>Careem Networks FZ LLC, Dubai, UAE</p>', lang="ar", dir_="rtl")
    add(mail("ar-mail-careem-code", "ar", email("no-reply@careem.com", "رمز التحقق الخاص بك", html=html, name="Careem"), "482913"))

    html = page("""<p>مرحباً،</p><p>يرجى تأكيد بريدك الإلكتروني لتفعيل حسابك.</p>"""
                + button("https://www.noon.com/account/verify-email?token=8f2a91c0d3e4f5a6b7c8", "تأكيد البريد الإلكتروني", "#feee00")
                + '<p><a href="https://www.noon.com/help">مساعدة</a> · <a href="https://www.noon.com/unsubscribe">إلغاء الاشتراك</a></p>', "noon", lang="ar", dir_="rtl")
    add(mail("ar-mail-noon-confirm", "ar", email("no-reply@noon.com", "تأكيد البريد الإلكتروني", html=html, name="noon"),
             None, "https://www.noon.com/account/verify-email?token=8f2a91c0d3e4f5a6b7c8"))

    text = "مرحباً،\n\nتم شحن طلبك رقم 4829130.\nالمبلغ الإجمالي: 249.00 ر.س\nرقم التتبع: 7281930124\n\nشكراً لتسوقك معنا."
    add(mail("ar-mail-none-order", "ar", email("orders@shop.example.sa", "تم شحن طلبك", text=text, name="المتجر"), None))

    # Hebrew (Windows-1255).
    text = "שלום,\n\nקוד האימות שלך הוא: 482913\n\nהקוד תקף ל-10 דקות. אין למסור את הקוד לאף אחד.\n\nצוות Wolt"
    add(mail("he-mail-wolt-cp1255", "he", email("info@wolt.com", "קוד האימות שלך", text=text, charset="windows-1255", cte="base64", name="Wolt"), "482913"))

    html = page("""<p>שלום,</p><p>אנא אשרו את כתובת הדוא"ל שלכם כדי להפעיל את החשבון.</p>"""
                + button("https://www.example.co.il/account/confirm?token=Zx8PqR2vKm4NwT6yLa0s", "אישור כתובת הדוא\"ל")
                + '<p><a href="https://www.example.co.il/privacy">מדיניות פרטיות</a></p>', "Example", lang="he", dir_="rtl")
    add(mail("he-mail-confirm", "he", email("noreply@example.co.il", "אישור כתובת דוא\"ל", html=html, name="Example"),
             None, "https://www.example.co.il/account/confirm?token=Zx8PqR2vKm4NwT6yLa0s"))

    # Hindi.
    html = page(f"""<p>नमस्ते,</p><p>आपका सत्यापन कोड है:</p>{code_box("482913")}<p>यह कोड 10 मिनट के लिए मान्य है। इसे किसी के साथ साझा न करें।</p>""", "Flipkart",
                '<p>Flipkart Internet Private Limited, Buildings Alyssa, Begonia &amp; Clove Embassy Tech Village, Bengaluru, 560103</p>', lang="hi")
    add(mail("hi-mail-flipkart-code", "hi", email("noreply@flipkart.com", "आपका सत्यापन कोड", html=html, name="Flipkart"), "482913"))

    text = "नमस्ते,\n\nआपका ऑर्डर 4829130 भेज दिया गया है।\nकुल राशि: ₹1,249\nट्रैकिंग नंबर: FMPP0482913012\n\nधन्यवाद!"
    add(mail("hi-mail-none-order", "hi", email("noreply@flipkart.com", "आपका ऑर्डर भेज दिया गया है", text=text, name="Flipkart"), None))

    # Chinese (GB2312, Big5, UTF-8).
    text = "尊敬的用户：\n\n您的验证码是：482913，有效期为10分钟。请勿将验证码告诉他人。\n\n此邮件由系统自动发送，请勿回复。\n淘宝网"
    add(mail("zh-mail-taobao-gb2312", "zh", email("service@mail.taobao.com", "淘宝网验证码", text=text, charset="gb2312", cte="base64", name="淘宝网"), "482913"))

    text = "親愛的用戶您好：\n\n您的驗證碼為 482913，請於10分鐘內輸入。請勿將驗證碼提供給他人。\n\n蝦皮購物"
    add(mail("zh-mail-shopee-big5", "zh", email("no-reply@shopee.tw", "蝦皮購物驗證碼", text=text, charset="big5", cte="base64", name="蝦皮購物"), "482913"))

    html = page("""<p>您好，</p><p>感谢注册！请点击下方按钮确认您的邮箱地址：</p>"""
                + button("https://passport.example.cn/email/verify?code=8f2a91c0d3e4f5a6b7c8", "确认邮箱")
                + '<p>如果按钮无法点击，请复制以下链接到浏览器打开：https://passport.example.cn/email/verify?code=8f2a91c0d3e4f5a6b7c8</p>'
                  '<p><a href="https://www.example.cn/help">帮助中心</a> · <a href="https://www.example.cn/privacy">隐私政策</a> · <a href="https://www.example.cn/unsubscribe">退订</a></p>', "Example", lang="zh")
    add(mail("zh-mail-confirm", "zh", email("noreply@example.cn", "请确认您的邮箱地址", html=html, name="Example"),
             None, "https://passport.example.cn/email/verify?code=8f2a91c0d3e4f5a6b7c8"))

    text = "您好，\n\n您的订单 4829130123 已发货。\n快递公司：顺丰速运\n运单号：SF1482913012345\n订单金额：¥249.00\n\n感谢您的支持！"
    add(mail("zh-mail-none-order", "zh", email("order@shop.example.cn", "您的订单已发货", text=text, name="商城"), None))

    # Japanese (ISO-2022-JP, Shift_JIS).
    text = "Acme 様\n\nメールアドレスの確認のため、以下の認証コードを入力してください。\n\n認証コード：482913\n\nこのコードの有効期限は30分です。\n\nメルカリ"
    add(mail("ja-mail-mercari-iso2022", "ja", email("no-reply@mercari.jp", "【メルカリ】認証コードのお知らせ", text=text, charset="iso-2022-jp", cte="7bit", name="メルカリ"), "482913"))

    text = "Amazonをご利用いただきありがとうございます。\n\nお客様の確認コードは 482913 です。\n\nこのコードは10分間有効です。このコードを他人と共有しないでください。\n\nAmazon.co.jp"
    add(mail("ja-mail-amazon-sjis", "ja", email("account-update@amazon.co.jp", "Amazon.co.jp: 確認コード", text=text, charset="shift_jis", cte="base64", name="Amazon.co.jp"), "482913"))

    text = "楽天会員 様\n\nご注文ありがとうございます。\n\n注文番号：482913-20261120-0123456789\nお届け予定日：2026年11月24日\n合計金額：3,980円\n\n楽天市場"
    add(mail("ja-mail-none-order", "ja", email("order@rakuten.co.jp", "【楽天市場】注文内容ご確認", text=text, name="楽天市場"), None))

    # Korean (EUC-KR).
    text = "안녕하세요.\n\n요청하신 인증번호는 [482913] 입니다.\n\n인증번호를 입력창에 입력해 주세요. 인증번호는 3분간 유효합니다.\n\n네이버"
    add(mail("ko-mail-naver-euckr", "ko", email("navercorp@navercorp.com", "[네이버] 인증번호 안내", text=text, charset="euc-kr", cte="base64", name="네이버"), "482913"))

    html = page("""<p>안녕하세요,</p><p>아래 버튼을 눌러 이메일 인증을 완료해 주세요.</p>"""
                + button("https://accounts.kakao.com/weblogin/email_verify?token=Qp7Xe2vKm4NwT6yLa0sZ", "이메일 인증하기", "#fee500")
                + '<p><a href="https://cs.kakao.com/">고객센터</a> · <a href="https://www.kakao.com/policy/privacy">개인정보처리방침</a></p>', "Kakao", lang="ko")
    add(mail("ko-mail-kakao-confirm", "ko", email("noreply@kakaocorp.com", "[카카오] 이메일 인증 안내", html=html, name="카카오"),
             None, "https://accounts.kakao.com/weblogin/email_verify?token=Qp7Xe2vKm4NwT6yLa0sZ"))

    # Vietnamese.
    html = page(f"""<p>Xin chào,</p><p>Mã xác thực của bạn là:</p>{code_box("482913")}<p>Mã có hiệu lực trong 5 phút. Vui lòng không chia sẻ mã này với bất kỳ ai.</p>""", "Shopee",
                '<p>Công ty TNHH Shopee, Tầng 4-5-6, Tòa nhà Capital Place, số 29 đường Liễu Giai, Quận Ba Đình, Hà Nội</p>', lang="vi")
    add(mail("vi-mail-shopee-code", "vi", email("no-reply@shopee.vn", "Mã xác thực Shopee", html=html, name="Shopee"), "482913"))

    text = "Xin chào,\n\nĐơn hàng #4829130 của bạn đã được giao cho đơn vị vận chuyển.\nTổng tiền: 249.000đ\nMã vận đơn: GHN0482913012\n\nCảm ơn bạn đã mua sắm tại Tiki!"
    add(mail("vi-mail-none-order", "vi", email("no-reply@tiki.vn", "Đơn hàng đã được giao cho đơn vị vận chuyển", text=text, name="Tiki"), None))

    # Thai.
    text = "เรียนลูกค้า\n\nรหัส OTP ของคุณคือ 482913 (Ref: XKQP)\nรหัสนี้ใช้ได้ภายใน 5 นาที กรุณาอย่าเปิดเผยรหัสนี้แก่ผู้อื่น\n\nLazada"
    add(mail("th-mail-lazada-otp", "th", email("no-reply@lazada.co.th", "รหัส OTP ของคุณ", text=text, name="Lazada"), "482913"))

    html = page("""<p>สวัสดีค่ะ</p><p>กรุณายืนยันอีเมลของคุณเพื่อเปิดใช้งานบัญชี</p>"""
                + button("https://www.example.co.th/verify-email?token=Zx8PqR2vKm4NwT6yLa0s", "ยืนยันอีเมล")
                + '<p><a href="https://www.example.co.th/help">ช่วยเหลือ</a></p>', "Example", lang="th")
    add(mail("th-mail-confirm", "th", email("noreply@example.co.th", "ยืนยันอีเมลของคุณ", html=html, name="Example"),
             None, "https://www.example.co.th/verify-email?token=Zx8PqR2vKm4NwT6yLa0s"))

    # Indonesian.
    html = page(f"""<p>Halo,</p><p>Berikut kode verifikasi kamu:</p>{code_box("482913")}<p>Kode ini berlaku selama 5 menit. JANGAN BERIKAN kode ini kepada siapa pun, termasuk pihak Tokopedia.</p>""", "Tokopedia",
                '<p>PT Tokopedia, Tokopedia Tower Ciputra World 2, Jl. Prof. DR. Satrio No.Kav. 11, Jakarta 12950</p>', lang="id")
    add(mail("id-mail-tokopedia-code", "id", email("noreply@tokopedia.com", "Kode Verifikasi Tokopedia", html=html, name="Tokopedia"), "482913"))

    html = page("""<p>Halo Acme,</p><p>Terima kasih telah mendaftar. Silakan verifikasi alamat email kamu dengan menekan tombol di bawah ini.</p>"""
                + button("https://www.bukalapak.com/verifikasi-email?token=8f2a91c0d3e4f5a6b7c8", "Verifikasi Email", "#e31e52")
                + '<p><a href="https://www.bukalapak.com/bantuan">Bantuan</a> · <a href="https://www.bukalapak.com/berhenti-berlangganan">Berhenti berlangganan</a></p>', "Bukalapak", lang="id")
    add(mail("id-mail-bukalapak-confirm", "id", email("noreply@bukalapak.com", "Verifikasi email kamu", html=html, name="Bukalapak"),
             None, "https://www.bukalapak.com/verifikasi-email?token=8f2a91c0d3e4f5a6b7c8"))

    text = "Halo,\n\nPesanan #4829130 kamu telah dikirim.\nNomor resi: JNE0482913012\nTotal pembayaran: Rp249.000\n\nTerima kasih telah berbelanja!"
    add(mail("id-mail-none-order", "id", email("noreply@shop.example.co.id", "Pesanan kamu telah dikirim", text=text, name="Toko"), None))

    return out
