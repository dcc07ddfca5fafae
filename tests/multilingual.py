"""Short news texts written for the tests in Chinese, German, Russian and Arabic.

For each language: a report (headline line, then six sentences; the Chinese and Arabic
ones two sentences to a paragraph, as those sites print them), a sentence-by-sentence
rewrite of it (same facts, other word order and wording), an unrelated report in the
same language, and the edits a syndicating site makes (page furniture, its own headline,
a few words changed). The stories are invented.
"""

# ruff: noqa: E501 - news paragraphs are long lines

from __future__ import annotations

ZH = """杭州市政府批准新建跨江大桥计划
杭州市政府星期二正式批准了一项新建跨江大桥的计划，结束了长达两年的激烈争论。这座大桥全长三千二百米，将把城市东部的工业园区和南岸的住宅小区连接起来。
交通部门表示，大桥工程预计明年春天开工，计划在二零二七年年底以前全部完工。市长王建国说，新大桥建成以后将大大缩短两岸居民每天上下班的通勤时间。
部分市议会代表认为，估计高达四十亿元的建设费用对城市财政来说过于沉重。市政府还同意在大桥两侧种植八百多棵树木，以减少交通噪音并改善沿江环境。"""

ZH_REWRITE = """跨江大桥新建计划获杭州批准
经过两年的激烈争论，杭州市政府于星期二正式批准新建跨江大桥的计划。南岸的住宅小区将通过这座全长三千二百米的大桥与城市东部的工业园区相连。
据交通部门介绍，工程预计将于明年春天开工，并在二零二七年年底以前全部完工。市长王建国表示，两岸居民每天上下班的通勤时间将因新大桥建成而大大缩短。
一些市议会代表提出，对城市财政而言，估计高达四十亿元的建设费用过于沉重。此外，市政府同意在大桥两侧种植八百多棵树木，用来减少交通噪音、改善沿江环境。"""

ZH_OTHER = """上海一家超市因出售过期食品被罚款
上海市场监管部门星期四宣布，对一家大型连锁超市处以五十万元罚款。检查人员在这家超市的仓库里发现了大量已经过期的牛奶、面包和冷冻肉类。
监管部门负责人说，这些过期食品被重新贴上标签后又摆上了货架出售。超市管理层发表声明，向消费者公开道歉，并承诺全面整改内部管理制度。
不少市民表示，今后购物时会更加仔细地查看食品的生产日期和保质期。监管部门还将在全市范围内开展为期三个月的食品安全专项检查行动。"""

DE = """Stadtrat genehmigt neue Brücke über den Rhein
Der Stadtrat von Köln hat am Dienstag den Bau einer neuen Brücke über den Rhein genehmigt und damit einen zweijährigen Streit beendet.
Die Brücke soll das Industriegebiet im Osten der Stadt mit den Wohnvierteln am südlichen Ufer verbinden.
Nach Angaben des Verkehrsamts beginnen die Bauarbeiten im kommenden Frühjahr und sollen Ende 2027 abgeschlossen sein.
Oberbürgermeisterin Anna Berger sagte, die neue Verbindung werde die täglichen Fahrzeiten der Pendler deutlich verkürzen.
Kritiker im Stadtrat hielten die geschätzten Kosten von 400 Millionen Euro für zu hoch für den städtischen Haushalt.
Der Stadtrat beschloss außerdem, entlang der Zufahrten mehr als 800 Bäume zu pflanzen, um den Verkehrslärm zu verringern."""

DE_REWRITE = """Neue Rheinbrücke: Kölner Stadtrat gibt grünes Licht
Nach einem zweijährigen Streit genehmigte der Stadtrat von Köln am Dienstag den Bau einer neuen Brücke über den Rhein.
Verbinden soll die Brücke die Wohnviertel am südlichen Ufer mit dem Industriegebiet im Osten der Stadt.
Laut Verkehrsamt sollen die Bauarbeiten im kommenden Frühjahr beginnen und Ende 2027 abgeschlossen werden.
Die täglichen Fahrzeiten der Pendler werde die neue Verbindung deutlich verkürzen, erklärte Oberbürgermeisterin Anna Berger.
Zu hoch für den städtischen Haushalt seien die geschätzten Kosten von 400 Millionen Euro, meinten Kritiker im Stadtrat.
Außerdem beschloss der Stadtrat, mehr als 800 Bäume entlang der Zufahrten zu pflanzen, damit der Verkehrslärm verringert wird."""

DE_OTHER = """Bäckerei in Leipzig gewinnt Preis für bestes Brot
Eine kleine Bäckerei aus Leipzig ist am Wochenende mit dem Preis für das beste Roggenbrot Sachsens ausgezeichnet worden.
Die Jury lobte vor allem die knusprige Kruste und den kräftigen Geschmack des Sauerteigs.
Der Bäckermeister backt das Brot nach einem alten Rezept seiner Großmutter und lässt den Teig zwei Tage ruhen.
Seit der Auszeichnung stehen die Kunden schon früh am Morgen vor dem Laden Schlange.
Insgesamt hatten sich mehr als 120 Betriebe aus dem ganzen Bundesland an dem Wettbewerb beteiligt.
Im nächsten Jahr möchte die Bäckerei auch mit ihren Brötchen und Kuchen antreten."""

RU = """Городской совет одобрил строительство моста через Волгу
Городской совет Самары во вторник одобрил строительство нового моста через Волгу, завершив спор, который длился два года.
Новый мост соединит промышленную зону на востоке города с жилыми районами на южном берегу реки.
По данным транспортного управления, строительные работы начнутся следующей весной и завершатся к концу 2027 года.
Мэр города Андрей Соколов заявил, что новый мост значительно сократит ежедневное время поездок жителей.
Критики в городском совете считают, что предполагаемая стоимость в 40 миллиардов рублей слишком высока для бюджета.
Совет также решил посадить более 800 деревьев вдоль подъездных дорог, чтобы уменьшить шум от транспорта."""

RU_REWRITE = """Самара получит новый мост через Волгу
Во вторник после двухлетнего спора городской совет Самары одобрил строительство нового моста через Волгу.
Жилые районы на южном берегу реки новый мост соединит с промышленной зоной на востоке города.
Строительные работы, как сообщило транспортное управление, начнутся следующей весной, а завершатся к концу 2027 года.
Ежедневное время поездок жителей новый мост значительно сократит, заявил мэр города Андрей Соколов.
Предполагаемая стоимость в 40 миллиардов рублей, по мнению критиков в городском совете, для бюджета слишком высока.
Кроме того, совет решил вдоль подъездных дорог посадить более 800 деревьев, чтобы шум от транспорта уменьшить."""

RU_OTHER = """В Новосибирске открылась выставка старинных часов
В краеведческом музее Новосибирска в субботу открылась выставка старинных часов из частных коллекций.
Посетители могут увидеть более двухсот экспонатов, среди которых карманные, настенные и напольные часы.
Самые старые часы были изготовлены в Германии в конце семнадцатого века и до сих пор идут.
Организаторы рассказали, что собирали экспонаты почти три года у коллекционеров со всей страны.
Для школьников музей проводит бесплатные экскурсии и мастер-классы по ремонту часовых механизмов.
Выставка продлится до конца лета, после чего отправится в Томск и Омск."""

AR = """مجلس المدينة يوافق على بناء جسر جديد فوق القناة
وافق مجلس مدينة الإسكندرية يوم الثلاثاء على خطة لبناء جسر جديد فوق القناة بعد نقاش طويل استمر عامين. سيربط الجسر الجديد المنطقة الصناعية في شرق المدينة بالأحياء السكنية على الضفة الجنوبية للقناة.
وقالت إدارة النقل إن أعمال البناء ستبدأ في الربيع المقبل ومن المتوقع أن تنتهي بحلول نهاية عام 2027. وقال رئيس البلدية أحمد منصور إن الجسر سيختصر بشكل كبير وقت التنقل اليومي لسكان الضفتين.
ويرى منتقدون في المجلس أن التكلفة المقدرة بأربعة مليارات جنيه مرتفعة جدا بالنسبة لميزانية المدينة. كما وافق المجلس على زراعة أكثر من 800 شجرة على طول الطرق المؤدية إلى الجسر للحد من الضوضاء."""

AR_REWRITE = """الإسكندرية تحصل على جسر جديد فوق القناة
بعد نقاش طويل دام عامين، وافق مجلس مدينة الإسكندرية يوم الثلاثاء على خطة بناء جسر جديد فوق القناة. وبفضل الجسر الجديد ستتصل الأحياء السكنية الواقعة على الضفة الجنوبية للقناة بالمنطقة الصناعية شرقي المدينة.
وحسب إدارة النقل فإن أعمال البناء ستنطلق في الربيع المقبل، ومن المتوقع انتهاؤها قبل نهاية عام 2027. وأوضح رئيس البلدية أحمد منصور أن وقت التنقل اليومي لسكان الضفتين سيختصره الجسر بشكل كبير.
التكلفة المقدرة بأربعة مليارات جنيه مرتفعة جدا بالنسبة لميزانية المدينة، بحسب منتقدين في المجلس. ووافق المجلس كذلك على زراعة أكثر من 800 شجرة على طول الطرق المؤدية إلى الجسر بهدف الحد من الضوضاء."""

AR_OTHER = """افتتاح معرض للكتاب في مدينة عمان بمشاركة واسعة
افتتح معرض عمان الدولي للكتاب أبوابه للزوار يوم الخميس بمشاركة أكثر من ثلاثمائة دار نشر عربية وأجنبية. ويضم المعرض هذا العام جناحا خاصا لكتب الأطفال وورشا للرسم والقراءة القصصية للصغار.
وقال مدير المعرض إن عدد الزوار في اليوم الأول تجاوز التوقعات بكثير رغم الأمطار الغزيرة. ويستضيف المعرض ندوات أدبية يشارك فيها روائيون وشعراء من عدة دول عربية طوال أيامه العشرة.
كما خصص المنظمون قاعة لعرض المخطوطات القديمة والخرائط التاريخية النادرة للمرة الأولى. ويستمر المعرض حتى نهاية الشهر الجاري، ويفتح أبوابه يوميا من العاشرة صباحا حتى التاسعة مساء."""

TEXTS: dict[str, tuple[str, str, str]] = {  # language -> (report, rewrite, unrelated)
    "zh": (ZH, ZH_REWRITE, ZH_OTHER),
    "de": (DE, DE_REWRITE, DE_OTHER),
    "ru": (RU, RU_REWRITE, RU_OTHER),
    "ar": (AR, AR_REWRITE, AR_OTHER),
}

# language -> (furniture lines above, the site's headline, word edits, furniture line below)
SYNDICATION: dict[str, tuple[list[str], str, list[tuple[str, str]], str]] = {
    "zh": (
        ["订阅我们的新闻简报", "分享到微信"],
        "【快讯】杭州批准跨江大桥计划｜钱江晚报",
        [("激烈争论", "争论"), ("住宅小区", "居民小区"), ("过于沉重", "太过沉重")],
        "© 2026 钱江晚报 版权所有",
    ),
    "de": (
        ["Newsletter abonnieren", "Teilen auf Facebook"],
        "Köln: Stadtrat sagt Ja zur neuen Rheinbrücke | Kölner Anzeiger",
        [("deutlich", "spürbar"), ("geschätzten", "veranschlagten"), ("Verkehrslärm", "Lärm")],
        "© 2026 Kölner Anzeiger. Alle Rechte vorbehalten.",
    ),
    "ru": (
        ["Подписывайтесь на наш канал", "Поделиться ВКонтакте"],
        "Самара: совет одобрил мост через Волгу | Волжская правда",
        [
            ("значительно", "заметно"),
            ("слишком высока", "чрезмерно высока"),
            ("вдоль подъездных дорог", "у подъездных дорог"),
        ],
        "© 2026 Волжская правда. Все права защищены.",
    ),
    "ar": (
        ["اشترك في نشرتنا الإخبارية", "شارك على فيسبوك"],
        "عاجل: الإسكندرية توافق على الجسر الجديد | صحيفة الشاطئ",
        [
            ("مجلس مدينة الإسكندرية", "مَجْلِسُ مدينةِ الإسكندريّة"),  # vowel marks added
            ("طويل", "مطول"),
            ("بشكل كبير", "كثيرا"),
            ("للحد من", "لتقليل"),
        ],
        "© 2026 صحيفة الشاطئ. جميع الحقوق محفوظة.",
    ),
}


def near_copy(text: str, lang: str) -> str:
    """The report as a syndicating site prints it: its furniture and headline, a few
    words changed."""
    top, headline, edits, bottom = SYNDICATION[lang]
    lines = text.split("\n")
    lines[0] = headline
    body = "\n".join(lines[1:])
    for old, new in edits:
        assert old in body, old
        body = body.replace(old, new, 1)
    return "\n".join([*top, headline, body, bottom])
