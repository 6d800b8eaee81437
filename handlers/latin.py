"""Messages in Latin letters: toneless pinyin and English, as grandchildren type them for grandparents.

Pinyin is split into syllables (the classifier adds them as features, the courtyard finder maps
them back to courtyard names); English is glossed word by word into the Chinese the rest of the
understanding reads. Which of the two a message is: the share of its words that split into pinyin.
"""

from __future__ import annotations

import re
from functools import lru_cache

SYLLABLES = frozenset("""
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao ce
cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun
chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei deng di dian diao die ding diu dong dou
du duan dui dun duo e ei en eng er fa fan fang fei fen feng fo fou fu ga gai gan gang gao ge gei gen
geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua
huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan
kang kao ke ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei leng li lia
lian liang liao lie lin ling liu long lou lu luan lun luo lv lve lue ma mai man mang mao me mei men
meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nian niang niao nie
nin ning niu nong nou nu nuan nun nuo nv nve nue ou pa pai pan pang pao pei pen peng pi pian piao pie
pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren
reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she
shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai
tan tang tao te teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo
wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong
you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhen zheng zhi
zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
""".split())
_MAX_SYL = 6
_WORD = re.compile(r"[a-z]+")
_PY_NUMBERS = {"ling": 0, "yi": 1, "yao": 1, "er": 2, "liang": 2, "san": 3, "si": 4, "wu": 5, "liu": 6,
               "qi": 7, "ba": 8, "jiu": 9, "shi": 10}


@lru_cache(maxsize=4096)
def segment(word: str) -> tuple[str, ...] | None:
    """'zenmeban' → ('zen', 'me', 'ban'); None when the word is not pinyin. Fewest syllables win."""
    n = len(word)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(i + 1, min(n, i + _MAX_SYL) + 1):
            s = word[i:j]
            if s in SYLLABLES:
                cand = (*best[i], s)  # type: ignore[misc]
                if best[j] is None or len(cand) < len(best[j]):  # type: ignore[arg-type]
                    best[j] = cand
    return best[n]


def is_pinyin_text(text: str) -> bool:
    """True when most Latin words of the (lower-case) text split into pinyin syllables."""
    words = [w for w in _WORD.findall(text) if len(w) > 1]
    if not words:
        return False
    return sum(1 for w in words if segment(w) is not None) * 2 > len(words)


def syllables(text: str) -> list[list[str]]:
    """Runs of pinyin syllables in the Latin part of a lower-case text (a run breaks at anything else)."""
    runs: list[list[str]] = []
    current: list[str] = []
    for m in re.finditer(r"[a-z]+|[^a-z\s]+", text):
        seg = segment(m.group(0)) if m.group(0)[0].isascii() and m.group(0).isalpha() else None
        if seg:
            current.extend(seg)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _py_number(m: re.Match[str]) -> str:
    n, word = m.group(1), m.group(2)
    if not n.isdigit():
        parts = n.split()
        if len(parts) == 2 and parts[0] == "shi":  # shi san → 13
            n = str(10 + _PY_NUMBERS[parts[1]])
        elif len(parts) == 2 and parts[1] == "shi":
            n = str(_PY_NUMBERS[parts[0]] * 10)
        else:
            n = str(_PY_NUMBERS[parts[0]])
    return n + {"haoyuan": "号院", "haolou": "号楼", "danyuan": "单元", "lou": "楼", "ceng": "楼"}[word.replace(" ", "")]


_PY_NUM = "|".join(_PY_NUMBERS)
_PY_PLACE = re.compile(
    rf"(?<![a-z])(\d+|(?:{_PY_NUM})(?:\s(?:{_PY_NUM}))?)\s?(hao\s?yuan|hao\s?lou|dan\s?yuan|lou|ceng)\b"
)

# English words and phrases → the Chinese the classifier, rules and finder read. Longest first.
ENGLISH: dict[str, str] = {
    "street lamp": "路灯", "street light": "路灯", "streetlight": "路灯", "street lights": "路灯",
    "stairwell": "楼道", "stairway": "楼道", "staircase": "楼梯", "stairs": "楼梯", "corridor": "楼道",
    "hallway": "楼道", "light": "灯", "lights": "灯", "lamp": "灯", "bulb": "灯泡",
    "broken": "坏了", "not working": "坏了", "doesn't work": "坏了", "does not work": "坏了",
    "out of order": "坏了", "stopped working": "坏了", "is off": "不亮", "been off": "不亮", "dark": "黑",
    "fix": "修", "repair": "维修", "repaired": "修", "leak": "漏水", "leaking": "漏水", "leaks": "漏水",
    "water": "水", "pipe": "水管", "pipes": "水管", "toilet": "厕所", "drain": "下水道", "sewer": "下水道",
    "blocked": "堵了", "clogged": "堵了", "lift": "电梯", "elevator": "电梯", "heating": "暖气",
    "heater": "暖气", "radiator": "暖气片", "not warm": "不热", "cold": "冷", "door": "门", "gate": "大门",
    "key card": "门禁卡", "access card": "门禁卡", "intercom": "对讲", "lock": "锁", "roof": "楼顶",
    "power cut": "停电", "power outage": "停电", "no power": "停电", "no electricity": "停电",
    "water cut": "停水", "no water": "停水", "charging pile": "充电桩", "charger": "充电桩",
    "noise": "噪音", "noisy": "吵", "loud": "吵", "music": "音响", "neighbour": "邻居", "neighbor": "邻居",
    "neighbours": "邻居", "neighbors": "邻居", "upstairs": "楼上", "downstairs": "楼下",
    "garbage": "垃圾", "trash": "垃圾", "rubbish": "垃圾", "litter": "垃圾", "throwing": "扔",
    "dirty": "脏", "smell": "味", "smells": "臭", "stinks": "臭", "dog": "狗", "dogs": "狗", "barking": "叫",
    "parking": "停车", "parked": "停车", "cars": "车", "car": "车", "fire lane": "消防通道",
    "block": "堵", "blocking": "堵", "mess": "乱", "every night": "天天晚上", "complain": "投诉",
    "complaint": "投诉", "nobody cares": "没人管", "sign up": "报名", "signup": "报名", "register": "报名",
    "join": "参加", "class": "班", "course": "课", "event": "活动", "activity": "活动", "lecture": "讲座",
    "talk": "讲座", "calligraphy": "书法", "dumpling": "包饺子", "dumplings": "包饺子", "trip": "旅游",
    "cancel": "取消报名", "can't come": "去不了", "cannot come": "去不了", "can't go": "去不了",
    "how to": "怎么", "how do i": "怎么", "how can i": "怎么", "where": "在哪", "when": "什么时候",
    "what time": "几点", "office hours": "办公时间 几点", "opening hours": "几点开门", "open": "开门",
    "phone number": "电话", "apply": "申请", "application": "申请", "pension": "养老金",
    "medical insurance": "医保", "id card": "身份证", "certificate": "证明", "fee": "费", "bill": "费",
    "pay": "交", "notice": "通知", "thanks": "谢谢", "thank you": "谢谢", "hello": "你好", "hi": "你好",
    "good morning": "早上好", "great job": "点赞", "fire": "着火", "caught fire": "着火", "on fire": "着火",
    "smoke": "冒烟", "e-bike": "电动车", "ebike": "电动车", "e bike": "电动车", "electric bike": "电动车",
    "scooter": "电动车", "charging": "充电", "wire": "电线", "wires": "电线", "cable": "电线",
    "gas smell": "燃气味", "smell of gas": "燃气味", "smell gas": "燃气味", "electric shock": "触电",
    "sparks": "火花", "fell down": "摔倒", "fallen": "摔倒", "help": "帮忙", "progress": "进度",
    "status": "进度", "my report": "我报的", "community": "社区", "service center": "服务中心",
    "grandma": "奶奶", "grandpa": "爷爷", "grandfather": "爷爷", "grandmother": "奶奶",
    "bye": "再见", "goodbye": "再见", "good night": "晚安", "any update": "进度", "update": "进度",
    "reported": "反映过", "health check": "体检", "eye check": "眼科检查", "check-up": "体检",
    "checkup": "体检", "free": "免费", "temple fair": "庙会", "party": "活动", "age limit": "年龄限制",
    "snow": "雪", "ice": "冰", "icy": "结冰", "slippery": "滑", "cleared": "清理", "clean up": "清理",
    "rubble": "建筑垃圾", "dumped": "乱倒", "exercise machines": "健身器材", "fitness equipment": "健身器材",
    "stuck": "卡住", "lost": "丢了", "new card": "补办", "replace": "补办", "install": "安装",
    "subsidy": "补贴", "vaccine": "疫苗", "flu shot": "流感疫苗", "renovation": "装修",
    # the organisations courtyards are named after, as grandchildren translate them
    "post office": "邮电局", "post and telecom": "邮电局", "telecom bureau": "邮电局", "grain bureau": "粮食局",
    "grain department": "粮食局", "health bureau": "卫生局", "tax bureau": "税务局", "tax office": "税务局",
    "taxation bureau": "税务局", "power supply bureau": "供电局", "power bureau": "供电局",
    "electric power bureau": "供电局", "power company": "供电局", "water conservancy bureau": "水利局",
    "water resources bureau": "水利局", "water bureau": "水利局", "agricultural machinery factory": "农机厂",
    "agricultural machinery": "农机厂", "farm machinery factory": "农机厂", "farm machinery": "农机厂",
    "tractor factory": "农机厂", "department store": "百货大楼", "xinhua bookstore": "新华书店",
    "bookstore": "书店", "book store": "书店", "no. 2 middle school": "二中", "no.2 middle school": "二中",
    "second middle school": "二中", "middle school": "中学", "compound": "家属院",
    "residential compound": "家属院", "housing compound": "家属院", "staff housing": "家属院",
}
_ENGLISH = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in sorted(ENGLISH, key=len, reverse=True)) + r")\b")
_EN_PLACE = (
    (re.compile(r"\b(?:courtyard|compound|yard)\s*(?:no\.?|number|#)?\s*(\d{1,3})\b"), r" \1号院 "),
    (re.compile(r"\b(?:no\.?|number|#)\s*(\d{1,3})\s*(?:courtyard|compound|yard)\b"), r" \1号院 "),
    (re.compile(r"\b(\d{1,3})\s*(?:courtyard|compound)\b"), r" \1号院 "),
    (re.compile(r"\b(?:building|block|bldg)\s*(?:no\.?)?\s*(\d{1,3})\b"), r" \1号楼 "),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s*floor\b"), r" \1楼 "),
    (re.compile(r"\bunit\s*(\d{1,2})\b"), r" \1单元 "),
    # a house number on a street is the courtyard here (育英街9号院): "No. 9 Yuying St", "Yuying Street No.9"
    (re.compile(r"\b(?:no\.?|number|#)\s*(\d{1,3})\s*,?\s*[a-z]+\s+(?:st|street|rd|road)\b\.?"), r" \1号院 "),
    (re.compile(r"\b[a-z]+\s+(?:st|street|rd|road)\.?\s*,?\s*(?:no\.?|number|#)\s*(\d{1,3})\b"), r" \1号院 "),
    # "lives in No.7", "at No. 3": a bare number after in/at is the courtyard's
    (re.compile(r"\b(in|at|from)\s+(?:no\.?|number|#)\s*(\d{1,3})\b(?!\s*(?:building|block|bldg|floor|unit|st\b|street))"),
     r" \1 \2号院 "),
)


_EN_NUMBERS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_EN_NUMBER = re.compile(r"\b(courtyard|compound|yard|building|block|unit|no\.?|number)\s+(" + "|".join(_EN_NUMBERS) + r")\b")


def gloss_english(text: str) -> str:
    """English words glossed into Chinese; pinyin place words ('5 hao yuan') into their characters."""
    if is_pinyin_text(text):
        return _PY_PLACE.sub(lambda m: _py_number(m), text)
    text = _EN_NUMBER.sub(lambda m: f"{m.group(1)} {_EN_NUMBERS[m.group(2)]}", text)
    for pattern, repl in _EN_PLACE:
        text = pattern.sub(repl, text)
    return _ENGLISH.sub(lambda m: f" {ENGLISH[m.group(0)]} ", text)
