"""Russian names for the demo college: ФИО in both genders, e-mails, phones, e-journal ids."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Surnames in the masculine form; the feminine form is derived (see `surname`).
SURNAMES = _words(
    """
Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов
Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров
Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин
Фролов Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов
Ковалёв Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов
Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов Мельников
Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов
Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов Родионов Коновалов
Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв
Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов Никифоров Грачёв
Котов Гришин Ефремов Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев
Бирюков Горбунов Анисимов Ерёмин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов
Нестеров Симонов Прокофьев Харитонов Князев Цветков Левин Митрофанов Воронцов Аксёнов Гаврилин
Ёлкин Ёжиков Лёвин Артёмов Горшков Рябов Блинов Шубин Ершов Третьяков Суханов Мухин Веселов
Калашников Зуев Сафонов Бобров Логинов Дьячков Дорофеев Субботин Шилов Кочетков Муравьёв
Островский Вишневский Покровский Рождественский Преображенский Троицкий Завадский Успенский
Толстой Донской Полевой Луговой Боровой Шевченко Бондаренко Ткаченко Коваленко Кравченко
Черных Седых Белых Кравец Мельник
"""
)

# Male first names with the patronymics they give: (name, son's, daughter's).
MALE_NAMES = (
    ("Александр", "Александрович", "Александровна"),
    ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Анатолий", "Анатольевич", "Анатольевна"),
    ("Антон", "Антонович", "Антоновна"),
    ("Аркадий", "Аркадьевич", "Аркадьевна"),
    ("Арсений", "Арсеньевич", "Арсеньевна"),
    ("Артём", "Артёмович", "Артёмовна"),
    ("Богдан", "Богданович", "Богдановна"),
    ("Борис", "Борисович", "Борисовна"),
    ("Вадим", "Вадимович", "Вадимовна"),
    ("Валерий", "Валерьевич", "Валерьевна"),
    ("Василий", "Васильевич", "Васильевна"),
    ("Виктор", "Викторович", "Викторовна"),
    ("Виталий", "Витальевич", "Витальевна"),
    ("Владимир", "Владимирович", "Владимировна"),
    ("Владислав", "Владиславович", "Владиславовна"),
    ("Вячеслав", "Вячеславович", "Вячеславовна"),
    ("Геннадий", "Геннадьевич", "Геннадьевна"),
    ("Георгий", "Георгиевич", "Георгиевна"),
    ("Глеб", "Глебович", "Глебовна"),
    ("Григорий", "Григорьевич", "Григорьевна"),
    ("Даниил", "Даниилович", "Данииловна"),
    ("Денис", "Денисович", "Денисовна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Егор", "Егорович", "Егоровна"),
    ("Иван", "Иванович", "Ивановна"),
    ("Игорь", "Игоревич", "Игоревна"),
    ("Илья", "Ильич", "Ильинична"),
    ("Кирилл", "Кириллович", "Кирилловна"),
    ("Константин", "Константинович", "Константиновна"),
    ("Лев", "Львович", "Львовна"),
    ("Леонид", "Леонидович", "Леонидовна"),
    ("Макар", "Макарович", "Макаровна"),
    ("Максим", "Максимович", "Максимовна"),
    ("Марк", "Маркович", "Марковна"),
    ("Матвей", "Матвеевич", "Матвеевна"),
    ("Михаил", "Михайлович", "Михайловна"),
    ("Никита", "Никитич", "Никитична"),
    ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"),
    ("Павел", "Павлович", "Павловна"),
    ("Пётр", "Петрович", "Петровна"),
    ("Роман", "Романович", "Романовна"),
    ("Руслан", "Русланович", "Руслановна"),
    ("Савелий", "Савельевич", "Савельевна"),
    ("Семён", "Семёнович", "Семёновна"),
    ("Сергей", "Сергеевич", "Сергеевна"),
    ("Станислав", "Станиславович", "Станиславовна"),
    ("Степан", "Степанович", "Степановна"),
    ("Тимофей", "Тимофеевич", "Тимофеевна"),
    ("Тимур", "Тимурович", "Тимуровна"),
    ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Эдуард", "Эдуардович", "Эдуардовна"),
    ("Юрий", "Юрьевич", "Юрьевна"),
    ("Ярослав", "Ярославович", "Ярославовна"),
)
PATRONYMICS = {name: (son, daughter) for name, son, daughter in MALE_NAMES}

# First names by generation: students were born about 2007–2011, parents 1970–1990,
# grandparents (whose names give the parents' patronymics) 1940–1965.
YOUNG_MEN = _words(
    """Артём Максим Александр Дмитрий Даниил Кирилл Иван Никита Михаил Егор Матвей
Андрей Илья Алексей Роман Сергей Владислав Ярослав Тимофей Глеб Марк Денис Арсений Лев Фёдор
Семён Степан Савелий Макар Тимур Богдан Павел Георгий Константин Евгений Вадим"""
)
YOUNG_WOMEN = _words(
    """Анастасия Мария Дарья Анна Елизавета Полина Виктория Екатерина Софья
Александра Ксения Алина Варвара Вероника Арина Алёна Валерия Ульяна Кристина Ева Милана Татьяна
Юлия Ольга Диана Яна Маргарита Ангелина Кира Злата Василиса Олеся Карина Алиса Таисия"""
)
MIDDLE_MEN = _words(
    """Александр Сергей Андрей Дмитрий Алексей Евгений Игорь Олег Михаил Владимир
Денис Максим Роман Павел Виталий Константин Николай Юрий Иван Вадим Антон Артём Руслан Виктор
Василий Станислав Вячеслав Эдуард Кирилл Илья Пётр Григорий Леонид Фёдор Семён"""
)
MIDDLE_WOMEN = _words(
    """Елена Ольга Наталья Татьяна Ирина Светлана Юлия Анна Екатерина Марина Мария
Оксана Людмила Галина Надежда Анастасия Евгения Виктория Любовь Валентина Инна Жанна Лариса
Алёна Ксения Вера Нина Яна Дарья Кристина Эльвира Маргарита Полина Алла Лилия"""
)
OLDER_MEN = _words(
    """Александр Сергей Владимир Николай Виктор Анатолий Юрий Валерий Михаил Геннадий
Василий Евгений Борис Пётр Иван Алексей Григорий Леонид Аркадий Фёдор Вячеслав Станислав Игорь
Олег Дмитрий Павел Константин Семён Степан Георгий Эдуард Вадим"""
)

# Mobile operators' codes in common use.
MOBILE_CODES = (
    *range(900, 940),
    *range(950, 954),
    *range(960, 970),
    *range(977, 990),
    *range(991, 1000),
)
MAIL_DOMAINS = ("mail.example", "yandex.example", "inbox.example", "list.example")
STAFF_DOMAIN = "demo.college"

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        _words("a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya"),
        strict=True,
    )
)


def translit(text: str) -> str:
    """Latin letters for e-mail local parts, the way people pick them."""
    return "".join(_TRANSLIT.get(c, c) for c in text.casefold()).replace("_", "")


def surname(male_form: str, female: bool) -> str:
    """The surname in the person's gender: Фёдоров → Фёдорова, Островский → Островская."""
    if not female:
        return male_form
    if male_form.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return male_form + "а"
    if male_form.endswith(("ский", "цкий", "ой", "ый")):
        return male_form[:-2] + "ая"
    return male_form  # Шевченко, Черных, Кравец stay the same


@dataclass
class Person:
    """One generated person, ready to become a User row."""

    last_name: str
    first_name: str
    middle_name: str
    female: bool
    email: str | None = None
    phone: str | None = None
    external_id: str | None = None


class PeopleMaker:
    """Deterministic ФИО and contacts; e-mails, phones and e-journal ids never repeat."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.external_ids: set[str] = set()
        # A few surnames are much more common than the rest, as in life.
        self._weights = list(itertools.accumulate(1.0 / (i + 12) for i in range(len(SURNAMES))))

    def family_name(self) -> str:
        return self.rng.choices(SURNAMES, cum_weights=self._weights)[0]

    def father_name(self, *, older: bool = False) -> str:
        return self.rng.choice(OLDER_MEN if older else MIDDLE_MEN)

    def person(
        self,
        *,
        female: bool,
        family: str | None = None,
        father: str | None = None,
        first: str | None = None,
        generation: str = "middle",
    ) -> Person:
        """A person of a generation ("young", "middle"); the father's name gives the patronymic."""
        family = family or self.family_name()
        father = father or self.father_name(older=generation == "middle")
        if first is None and generation == "young":
            first = self.rng.choice(YOUNG_WOMEN if female else YOUNG_MEN)
        elif first is None:
            first = self.rng.choice(MIDDLE_WOMEN if female else MIDDLE_MEN)
        son, daughter = PATRONYMICS[father]
        return Person(surname(family, female), first, daughter if female else son, female)

    def personal_email(self, person: Person, year: int | None = None) -> str:
        """An address on a (reserved, undeliverable) mail domain, as people choose them."""
        last, first = translit(person.last_name), translit(person.first_name)
        tail = f"{year % 100:02d}" if year else str(self.rng.randint(70, 99))
        patterns = (
            f"{first}.{last}{tail}",
            f"{last}.{first[0]}{translit(person.middle_name)[0]}",
            f"{last}{tail}",
            f"{first}{last[0]}{tail}",
            f"{last}_{first}",
        )
        local = self.rng.choice(patterns)
        return self._unique_email(local, self.rng.choice(MAIL_DOMAINS))

    def staff_email(self, person: Person) -> str:
        """The college address: surname and initials."""
        initials = translit(person.first_name[0] + person.middle_name[:1])
        return self._unique_email(f"{translit(person.last_name)}.{initials}", STAFF_DOMAIN)

    def _unique_email(self, local: str, domain: str) -> str:
        candidate, n = f"{local}@{domain}", 1
        joint = "_" if local[-1].isdigit() else ""
        while candidate in self.emails:
            n += 1
            candidate = f"{local}{joint}{n}@{domain}"
        self.emails.add(candidate)
        return candidate

    def mobile(self) -> str:
        """A Russian mobile number in the stored form +79XXXXXXXXX."""
        while True:
            number = f"+7{self.rng.choice(MOBILE_CODES)}{self.rng.randrange(10**7):07d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def external_id(self) -> str:
        """The person's id in the e-journal: a seven-digit number."""
        while True:
            value = str(self.rng.randrange(1_000_000, 10_000_000))
            if value not in self.external_ids:
                self.external_ids.add(value)
                return value

    def reserve(self, *, email: str | None = None, phone: str | None = None) -> None:
        """Keep bulk people off the contacts the named demo accounts use."""
        if email:
            self.emails.add(email)
        if phone:
            self.phones.add(phone)
